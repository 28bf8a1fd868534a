/**
 * Errors of the env server, sent to clients as typed error replies (`error.type` is the class name).
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";

/** A message is not a valid frame, or names an unknown operation or a missing field. */
export class ProtocolError extends SparsGymError {}

/** `make` named an env id the server does not serve. */
export class UnknownEnvError extends SparsGymError {}
