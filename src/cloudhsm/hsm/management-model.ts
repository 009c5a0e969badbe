/**
 * The model of kmsd's HSM management endpoint (X-Amz-Target `KmsdHsmManagement.<Op>`,
 * SigV4 signing name `cloudhsm`): kmsd's stand-in for the CloudHSM CLI's connection to the
 * HSMs, which AWS does not expose as an API. Hand-written in the generated models' format so
 * the gateway type-checks and validates requests like any AWS service's.
 */
import type { ServiceModel, ShapeDef } from '../../core/shape.js';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_PATTERN } from './passwords.js';

export const HSM_MANAGEMENT_TARGET_PREFIX = 'KmsdHsmManagement';

const ERRORS = [
  'CloudHsmAccessDeniedException',
  'CloudHsmInternalFailureException',
  'CloudHsmInvalidRequestException',
  'CloudHsmResourceLimitExceededException',
  'CloudHsmResourceNotFoundException',
];

const structure = (members: Record<string, string>, required: string[] = []): ShapeDef => ({ type: 'structure', members, required });

const admin = { AdminUsername: 'Username', AdminPassword: 'Password' };
const user = { Username: 'Username', Role: 'Role' };

export const HSM_MANAGEMENT_MODEL: ServiceModel = {
  targetPrefix: HSM_MANAGEMENT_TARGET_PREFIX,
  signingName: 'cloudhsm',
  errorMessageMember: 'Message',
  operations: Object.fromEntries(
    ['ActivateCluster', 'CreateUser', 'ChangePassword', 'DeleteUser', 'ListUsers', 'ListKeys', 'Login', 'Logout'].map((op) => [
      op,
      { input: `${op}Request`, output: `${op}Response`, errors: ERRORS },
    ]),
  ),
  shapes: {
    ClusterId: { type: 'string', pattern: 'cluster-[2-7a-zA-Z]{11,16}' },
    Username: { type: 'string', pattern: USERNAME_PATTERN },
    Password: { type: 'string', min: PASSWORD_MIN, max: PASSWORD_MAX, sensitive: true },
    Role: { type: 'string', enum: ['admin', 'crypto-user'] },
    String: { type: 'string' },
    Integer: { type: 'integer' },
    Boolean: { type: 'boolean' },
    User: structure({ Username: 'Username', Role: 'Role', LockedOut: 'Boolean', LoggedIn: 'Boolean' }),
    Users: { type: 'list', member: 'User' },
    Key: structure({
      KeyReference: 'String',
      Label: 'String',
      KeyType: 'String',
      KeySizeBits: 'Integer',
      Owner: 'Username',
      Extractable: 'Boolean',
      Persistent: 'Boolean',
    }),
    Keys: { type: 'list', member: 'Key' },
    ActivateClusterRequest: structure({ ClusterId: 'ClusterId', AdminPassword: 'Password' }, ['ClusterId', 'AdminPassword']),
    ActivateClusterResponse: structure({ ClusterId: 'ClusterId', State: 'String' }),
    CreateUserRequest: structure({ ClusterId: 'ClusterId', ...admin, ...user, Password: 'Password' }, [
      'ClusterId',
      'AdminPassword',
      'Username',
      'Role',
      'Password',
    ]),
    CreateUserResponse: structure({ User: 'User' }),
    ChangePasswordRequest: structure({ ClusterId: 'ClusterId', ...admin, ...user, Password: 'Password' }, [
      'ClusterId',
      'AdminPassword',
      'Username',
      'Role',
      'Password',
    ]),
    ChangePasswordResponse: structure({ User: 'User' }),
    DeleteUserRequest: structure({ ClusterId: 'ClusterId', ...admin, ...user }, ['ClusterId', 'AdminPassword', 'Username', 'Role']),
    DeleteUserResponse: structure({ User: 'User' }),
    ListUsersRequest: structure({ ClusterId: 'ClusterId', ...admin }, ['ClusterId', 'AdminPassword']),
    ListUsersResponse: structure({ Users: 'Users' }),
    ListKeysRequest: structure({ ClusterId: 'ClusterId', Username: 'Username', Password: 'Password' }, [
      'ClusterId',
      'Username',
      'Password',
    ]),
    ListKeysResponse: structure({ Keys: 'Keys' }),
    LoginRequest: structure({ ClusterId: 'ClusterId', ...user, Password: 'Password' }, ['ClusterId', 'Username', 'Role', 'Password']),
    LoginResponse: structure({ User: 'User' }),
    LogoutRequest: structure({ ClusterId: 'ClusterId', ...user, Password: 'Password' }, ['ClusterId', 'Username', 'Role', 'Password']),
    LogoutResponse: structure({ User: 'User' }),
    ErrorMessage: { type: 'string' },
    ...Object.fromEntries(ERRORS.map((e) => [e, { type: 'structure', members: { Message: 'ErrorMessage' }, exception: true } as ShapeDef])),
  },
  errorStatus: {
    CloudHsmAccessDeniedException: 400,
    CloudHsmInternalFailureException: 500,
    CloudHsmInvalidRequestException: 400,
    CloudHsmResourceLimitExceededException: 400,
    CloudHsmResourceNotFoundException: 400,
  },
};
