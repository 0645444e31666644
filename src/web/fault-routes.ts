// GET and POST /api/v1/faults: the faults of a switched fabric, and a change
// to them (with the token). Without switched doorbells both are a 409 saying
// how to get them.
import { FaultError, describeChange, type FaultChange } from '../switching/faults.js';
import type { TokenGate } from './auth.js';
import { parseFaultRequest } from './fault-request.js';
import { HttpError, readJson, sendJson } from './http-json.js';
import type { SwitchingSource } from './model.js';
import type { Method, Handler } from './routes.js';

export interface FaultContext {
  switching?: SwitchingSource;
  gate: TokenGate;
  maxBodyBytes: number;
}

function switchingOf(context: FaultContext): SwitchingSource {
  if (!context.switching)
    throw new HttpError(409, 'doorbells are not switched: start famez with --switched to have faults');
  return context.switching;
}

const state = (switching: SwitchingSource) => ({ faults: switching.faults(), changes: switching.faultChanges });

export function faultRoutes(context: FaultContext): Partial<Record<Method, Handler>> {
  return {
    GET: ({ res }) => sendJson(res, 200, state(switchingOf(context))),
    POST: async ({ req, res }) => {
      await context.gate.requireToken(req);
      const switching = switchingOf(context);
      const asked = parseFaultRequest(await readJson(req, context.maxBodyBytes));
      let change: FaultChange;
      try {
        change = switching.apply(asked);
      } catch (error) {
        // The one thing the router checks itself: that the link exists.
        if (error instanceof FaultError) throw new HttpError(400, `"link": ${error.message}`);
        throw error;
      }
      sendJson(res, 200, { applied: describeChange(change), change, ...state(switching) });
    },
  };
}
