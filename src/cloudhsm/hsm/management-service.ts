/** The HSM management endpoint (KmsdHsmManagement.*) as the gateway sees it. */
import type { Caller, ServiceEndpoint } from '../../core/endpoint.js';
import type { Scope } from '../../store/store.js';
import type { HsmModule } from './index.js';
import type { AdminCredentials, HsmManagement } from './management.js';
import { HSM_MANAGEMENT_MODEL } from './management-model.js';
import type { HsmRole } from './tables.js';

/** Inputs arrive validated against HSM_MANAGEMENT_MODEL: required members are present. */
interface Input {
  ClusterId: string;
  AdminUsername?: string;
  AdminPassword: string;
  Username: string;
  Role: HsmRole;
  Password: string;
}

type Handler = (m: HsmManagement, scope: Scope, i: Input) => Promise<unknown>;

const adminOf = (i: Input): AdminCredentials => ({ username: i.AdminUsername, password: i.AdminPassword });
const userOf = (i: Input) => ({ username: i.Username, role: i.Role, password: i.Password });

const HANDLERS: Record<string, Handler> = {
  ActivateCluster: (m, s, i) => m.activateCluster(s, i.ClusterId, i.AdminPassword),
  CreateUser: async (m, s, i) => ({ User: await m.createUser(s, i.ClusterId, adminOf(i), userOf(i)) }),
  ChangePassword: async (m, s, i) => ({ User: await m.changePassword(s, i.ClusterId, adminOf(i), userOf(i)) }),
  DeleteUser: async (m, s, i) => ({ User: await m.deleteUser(s, i.ClusterId, adminOf(i), userOf(i)) }),
  ListUsers: async (m, s, i) => ({ Users: await m.listUsers(s, i.ClusterId, adminOf(i)) }),
  ListKeys: async (m, s, i) => ({ Keys: await m.listKeys(s, i.ClusterId, i.Username, i.Password) }),
  Login: async (m, s, i) => ({ User: await m.login(s, i.ClusterId, userOf(i)) }),
  Logout: async (m, s, i) => ({ User: await m.logout(s, i.ClusterId, userOf(i)) }),
};

export function createHsmManagementService(module: HsmModule): ServiceEndpoint {
  return {
    model: HSM_MANAGEMENT_MODEL,
    async handle(operation: string, input: Record<string, unknown>, caller: Caller) {
      const handler = HANDLERS[operation];
      if (!handler) throw new Error(`no handler for ${operation}`);
      return handler(module.management, { account: caller.accountId, region: caller.region }, input as unknown as Input);
    },
  };
}
