import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the certificate registry.
 *
 * Parameters (`ignition deploy --parameters params.json`, under the key "Registry"):
 * - `admin`: the governance admin (default: the deploying account).
 * - `adminDelay`: seconds an admin handover must wait (default 3 days; the local chain uses 0).
 */
export default buildModule("Registry", (m) => {
  const admin = m.getParameter("admin", m.getAccount(0));
  const adminDelay = m.getParameter("adminDelay", 3 * 24 * 60 * 60);
  const registry = m.contract("Registry", [adminDelay, admin]);
  return { registry };
});
