package io.realtimeai.host;

import com.microsoft.azure.functions.annotation.BlobTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.QueueOutput;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The bindings a function's annotations declare, in the form {@code azure-functions-maven-plugin}
 * writes them to {@code function.json}. The local host compares the two at start, so a
 * {@code function.json} that no longer matches its code fails loudly instead of binding wrongly.
 */
public final class FunctionAnnotations {
  private FunctionAnnotations() {}

  /** The {@code @FunctionName} method of {@code type} called {@code methodName}. */
  public static Optional<Method> functionMethod(Class<?> type, String methodName) {
    return Arrays.stream(type.getMethods())
        .filter(m -> m.getName().equals(methodName) && m.isAnnotationPresent(FunctionName.class))
        .findFirst();
  }

  /** The descriptor the annotations of {@code method} declare. */
  public static FunctionDescriptor describe(Method method) {
    FunctionName name = method.getAnnotation(FunctionName.class);
    if (name == null) {
      throw new IllegalArgumentException(method + " has no @FunctionName");
    }
    List<Binding> bindings = new ArrayList<>();
    for (Parameter parameter : method.getParameters()) {
      for (Annotation annotation : parameter.getAnnotations()) {
        binding(annotation).ifPresent(bindings::add);
      }
    }
    // azure-functions-maven-plugin gives every HTTP-triggered method that returns something (a
    // response, a String, a POJO) an http output for its return value; a void one gets none
    boolean httpTriggered = bindings.stream().anyMatch(b -> b.type().equals("httpTrigger"));
    if (httpTriggered && method.getReturnType() != void.class) {
      bindings.add(new Binding("http", "out", "$return", Map.of()));
    }
    return new FunctionDescriptor(name.value(), method.getDeclaringClass().getName() + "." + method.getName(), bindings);
  }

  /** The binding name an annotated parameter takes its value from, if it is bound. */
  public static Optional<String> bindingName(Parameter parameter) {
    for (Annotation annotation : parameter.getAnnotations()) {
      Optional<Binding> binding = binding(annotation);
      if (binding.isPresent()) {
        return Optional.of(binding.get().name());
      }
    }
    return Optional.empty();
  }

  private static Optional<Binding> binding(Annotation annotation) {
    Map<String, Object> properties = new LinkedHashMap<>();
    if (annotation instanceof HttpTrigger http) {
      put(properties, "route", http.route());
      properties.put("methods", Arrays.stream(http.methods()).map(Enum::name).toList());
      properties.put("authLevel", http.authLevel().name());
      put(properties, "dataType", http.dataType());
      return Optional.of(new Binding("httpTrigger", "in", http.name(), properties));
    }
    if (annotation instanceof BlobTrigger blob) {
      put(properties, "path", blob.path());
      put(properties, "dataType", blob.dataType());
      put(properties, "connection", blob.connection());
      return Optional.of(new Binding("blobTrigger", "in", blob.name(), properties));
    }
    if (annotation instanceof QueueTrigger queue) {
      put(properties, "queueName", queue.queueName());
      put(properties, "dataType", queue.dataType());
      put(properties, "connection", queue.connection());
      return Optional.of(new Binding("queueTrigger", "in", queue.name(), properties));
    }
    if (annotation instanceof QueueOutput queue) {
      put(properties, "queueName", queue.queueName());
      put(properties, "dataType", queue.dataType());
      put(properties, "connection", queue.connection());
      return Optional.of(new Binding("queue", "out", queue.name(), properties));
    }
    if (annotation instanceof TimerTrigger timer) {
      put(properties, "schedule", timer.schedule());
      put(properties, "dataType", timer.dataType());
      return Optional.of(new Binding("timerTrigger", "in", timer.name(), properties));
    }
    return Optional.empty();
  }

  private static void put(Map<String, Object> properties, String key, String value) {
    if (value != null && !value.isEmpty()) {
      properties.put(key, value);
    }
  }
}
