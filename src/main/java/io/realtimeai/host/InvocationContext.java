package io.realtimeai.host;

import com.microsoft.azure.functions.ExecutionContext;
import java.util.UUID;
import java.util.logging.Logger;

/** The {@link ExecutionContext} of one invocation: its id, its function, a logger that names both. */
public final class InvocationContext implements ExecutionContext {
  private final String functionName;
  private final String invocationId;
  private final Logger logger;

  public InvocationContext(String functionName) {
    this.functionName = functionName;
    this.invocationId = UUID.randomUUID().toString();
    Logger function = Logger.getLogger("Function." + functionName);
    // An anonymous child per invocation: every line it logs carries the invocation id, as the host's do.
    this.logger = Logger.getAnonymousLogger();
    this.logger.setParent(function);
    this.logger.setFilter(record -> {
      record.setLoggerName(function.getName());
      record.setMessage("[" + invocationId.substring(0, 8) + "] " + record.getMessage());
      return true;
    });
  }

  @Override
  public Logger getLogger() {
    return logger;
  }

  @Override
  public String getInvocationId() {
    return invocationId;
  }

  @Override
  public String getFunctionName() {
    return functionName;
  }
}
