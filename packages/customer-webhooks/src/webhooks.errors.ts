import { KilnError } from '@kiln/errors';

/** The customer already has as many webhook endpoints as allowed (the API answers 409). */
export class EndpointLimitError extends KilnError {
  readonly code = 'webhook_endpoint_limit';

  constructor(readonly limit: number) {
    super(`a customer may have at most ${limit} webhook endpoints; delete one first`);
  }
}
