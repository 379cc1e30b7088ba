/**
 * What every part of the REST API is built from: the hub's deps, plus who may do what (Access),
 * the user directory, and HUB_DELETE_HOME.
 */
import type { Access } from '../access';
import type { HubDeps } from '../deps';
import type { Directory } from '../directory';

export interface ApiDeps extends HubDeps {
  access: Access;
  directory: Directory;
  /** HUB_DELETE_HOME: what deleting a user does to their home volume. */
  deleteHome: 'keep' | 'delete';
}
