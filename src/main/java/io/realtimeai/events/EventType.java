package io.realtimeai.events;

/** The event types of DESIGN §6, with the names they carry on the wire. */
public enum EventType {
  MODEL_REGISTERED("RealtimeAI.ModelRegistered"),
  MODEL_REJECTED("RealtimeAI.ModelRejected"),
  MODEL_DELETED("RealtimeAI.ModelDeleted"),
  SERVICE_DEPLOYED("RealtimeAI.ServiceDeployed"),
  SERVICE_DEPLOYMENT_FAILED("RealtimeAI.ServiceDeploymentFailed"),
  SERVICE_DELETED("RealtimeAI.ServiceDeleted"),
  IMAGE_SCORED("RealtimeAI.ImageScored"),
  IMAGE_SCORING_FAILED("RealtimeAI.ImageScoringFailed");

  private final String wireName;

  EventType(String wireName) {
    this.wireName = wireName;
  }

  /** The name subscribers filter on, e.g. {@code RealtimeAI.ModelRegistered}. */
  public String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
