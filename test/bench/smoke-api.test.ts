import { smokeSuite } from './smoke-suite';

smokeSuite(['api']);
