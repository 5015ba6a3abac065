export {
  AddressAllowlist,
  addressRefusal,
  isHostName,
  isValidAllowEntry,
  normalizeHost,
  systemLookup,
  type LookupAll,
} from './address-allowlist.js';
export { pinnedLookup, requestHostname } from './pinned-lookup.js';
