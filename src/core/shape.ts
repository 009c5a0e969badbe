/** The compact form of an AWS service model that scripts/generate-models.mjs writes. */
export interface ShapeDef {
  type: 'structure' | 'string' | 'list' | 'map' | 'blob' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'double' | 'float';
  required?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  /** member name -> shape name */
  members?: Record<string, string>;
  member?: string;
  key?: string;
  value?: string;
  exception?: boolean;
}

export interface OperationDef {
  input: string | null;
  output: string | null;
  errors: string[];
}

export interface ServiceModel {
  targetPrefix: string;
  signingName: string;
  /** `message` for KMS, `Message` for CloudHSM V2. */
  errorMessageMember: string;
  operations: Record<string, OperationDef>;
  shapes: Record<string, ShapeDef>;
  errorStatus: Record<string, number>;
  /**
   * The order in which a ValidationException lists an enum's values, where the service's
   * own order (recorded from it) differs from the model's; shape name -> every value.
   */
  enumMessageOrder?: Record<string, readonly string[]>;
}
