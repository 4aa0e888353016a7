package io.realtimeai.host;

import java.util.List;

/**
 * A function as its {@code function.json} describes it.
 *
 * @param name the function name (the folder name, as {@code @FunctionName} wrote it)
 * @param entryPoint {@code package.Class.method}
 * @param bindings its bindings, the trigger among them
 */
public record FunctionDescriptor(String name, String entryPoint, List<Binding> bindings) {
  public FunctionDescriptor {
    bindings = List.copyOf(bindings);
  }

  /** The trigger binding. */
  public Binding trigger() {
    return bindings.stream().filter(Binding::isTrigger).findFirst()
        .orElseThrow(() -> new IllegalStateException("function " + name + " has no trigger binding"));
  }

  /** The class part of the entry point. */
  public String className() {
    return entryPoint.substring(0, entryPoint.lastIndexOf('.'));
  }

  /** The method part of the entry point. */
  public String methodName() {
    return entryPoint.substring(entryPoint.lastIndexOf('.') + 1);
  }
}
