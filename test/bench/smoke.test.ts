import { SCENARIO_IDS } from '../../bench/lib/types';
import { smokeSuite } from './smoke-suite';

// Every scenario but the API one, which test/bench/smoke-api.test.ts runs beside this file.
smokeSuite(SCENARIO_IDS.filter((id) => id !== 'api'));
