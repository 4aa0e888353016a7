package io.realtimeai.deployment;

/** The steps of an operation: Provision → WaitForReady → (Switch) → Finalize, or Teardown → Finalize, or Fail. */
final class Steps {
  private Steps() {}

  /** Start the replicas the operation adds. */
  static final String PROVISION = "Provision";
  /** Look at them until all are ready, one failed, or the deadline passed. */
  static final String WAIT_FOR_READY = "WaitForReady";
  /** An update: stop the replicas it replaces, now that the new ones serve. */
  static final String SWITCH = "Switch";
  /** A delete: stop every replica and remove the service. */
  static final String TEARDOWN = "Teardown";
  /** Record the outcome and announce it. */
  static final String FINALIZE = "Finalize";
  /** Undo what the operation started and record why it failed. */
  static final String FAIL = "Fail";
}
