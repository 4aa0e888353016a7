package io.realtimeai.host;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.OutputBinding;
import com.microsoft.azure.functions.annotation.BindingName;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Calls a function's entry point the way the Java worker does: one instance of its class, each
 * parameter bound by its binding name (the trigger's data, converted to the parameter's declared
 * type: {@code String}, {@code byte[]}, a record or POJO from JSON …), {@code @BindingName}
 * parameters from the trigger's metadata, and the {@link ExecutionContext}.
 */
public final class FunctionInvoker {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .findAndAddModules()
      .build();
  private static final Map<Class<?>, Object> INSTANCES = new ConcurrentHashMap<>();

  private final FunctionDescriptor descriptor;
  private final Method method;
  private final Object instance;
  private final OutputBindings outputs;

  private FunctionInvoker(FunctionDescriptor descriptor, Method method, Object instance, OutputBindings outputs) {
    this.descriptor = descriptor;
    this.method = method;
    this.instance = instance;
    this.outputs = outputs;
  }

  /** The invoker of a function without output bindings, its class loaded from {@code classes}. */
  public static FunctionInvoker of(FunctionDescriptor descriptor, ClassLoader classes) {
    return of(descriptor, classes, OutputBindings.NONE);
  }

  /** The invoker of a function, its class loaded from {@code classes}, its output bindings written by {@code outputs}. */
  public static FunctionInvoker of(FunctionDescriptor descriptor, ClassLoader classes, OutputBindings outputs) {
    try {
      Class<?> type = Class.forName(descriptor.className(), true, classes);
      Method method = FunctionAnnotations.functionMethod(type, descriptor.methodName())
          .orElseThrow(() -> new IllegalStateException(descriptor.entryPoint() + " is not a @FunctionName method"));
      Object instance = INSTANCES.computeIfAbsent(type, FunctionInvoker::instantiate);
      return new FunctionInvoker(descriptor, method, instance, outputs);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("function " + descriptor.name() + ": class " + descriptor.className()
          + " is not on the classpath", e);
    }
  }

  private static Object instantiate(Class<?> type) {
    try {
      return type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type.getName() + " needs a public no-argument constructor to host its functions", e);
    }
  }

  /** The function this invoker calls. */
  public FunctionDescriptor descriptor() {
    return descriptor;
  }

  /** The entry point method. */
  public Method method() {
    return method;
  }

  /**
   * Invokes the function, then writes what it set on its output bindings ({@link OutputBindings}).
   *
   * @param data binding name → value (the trigger's payload, or an HTTP request)
   * @param metadata the trigger's metadata, for {@code @BindingName} parameters (case-insensitive)
   * @return what the function returned
   * @throws FunctionFailure wrapping what the function threw, or why a parameter could not be bound
   */
  public Object invoke(Map<String, Object> data, Map<String, ?> metadata, ExecutionContext context) {
    Map<String, Object> named = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    named.putAll(metadata);
    Parameter[] parameters = method.getParameters();
    Object[] arguments = new Object[parameters.length];
    Map<String, Output<?>> outputValues = new LinkedHashMap<>();
    for (int i = 0; i < parameters.length; i++) {
      Parameter parameter = parameters[i];
      Type type = parameter.getParameterizedType();
      if (ExecutionContext.class.isAssignableFrom(parameter.getType())) {
        arguments[i] = context;
        continue;
      }
      if (OutputBinding.class.isAssignableFrom(parameter.getType())) {
        Output<?> output = new Output<>();
        FunctionAnnotations.bindingName(parameter).ifPresent(name -> outputValues.put(name, output));
        arguments[i] = output;
        continue;
      }
      Optional<String> binding = FunctionAnnotations.bindingName(parameter);
      BindingName metadataName = parameter.getAnnotation(BindingName.class);
      Object raw = binding.isPresent() ? data.get(binding.get())
          : metadataName != null ? named.get(metadataName.value()) : null;
      String what = binding.map(b -> "binding '" + b + "'")
          .orElse(metadataName != null ? "@BindingName(\"" + metadataName.value() + "\")" : parameter.getName());
      arguments[i] = convert(raw, type, what);
    }
    Object returned;
    try {
      returned = method.invoke(instance, arguments);
    } catch (InvocationTargetException e) {
      throw new FunctionFailure(descriptor.name(), e.getCause());
    } catch (IllegalAccessException e) {
      throw new FunctionFailure(descriptor.name(), e);
    }
    if (!outputValues.isEmpty()) {
      Map<String, Object> values = new LinkedHashMap<>();
      outputValues.forEach((name, output) -> values.put(name, output.getValue()));
      try {
        outputs.write(descriptor, values);
      } catch (RuntimeException e) {
        // As on Azure: a function whose outputs cannot be written failed, and its trigger retries it.
        throw new FunctionFailure("function " + descriptor.name() + " failed writing its output bindings: "
            + e.getMessage(), e, true);
      }
    }
    return returned;
  }

  /** An output binding's value, as the function sets it. */
  private static final class Output<T> implements OutputBinding<T> {
    private T value;

    @Override
    public T getValue() {
      return value;
    }

    @Override
    public void setValue(T value) {
      this.value = value;
    }
  }

  /** Converts a trigger value to a parameter's declared type. */
  static Object convert(Object value, Type target, String what) {
    Class<?> raw = rawClass(target);
    if (raw == Optional.class) {
      Type inner = target instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
      return Optional.ofNullable(convert(value, inner, what));
    }
    if (value == null) {
      return raw.isPrimitive() ? primitiveZero(raw) : null;
    }
    if (raw.isInstance(value) && !(target instanceof ParameterizedType)) {
      return value;
    }
    if (raw == String.class) {
      return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
    }
    if (raw == byte[].class) {
      return value instanceof String text ? text.getBytes(StandardCharsets.UTF_8) : value;
    }
    String text = value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
    try {
      if (raw == int.class || raw == Integer.class) {
        return Integer.valueOf(text.strip());
      }
      if (raw == long.class || raw == Long.class) {
        return Long.valueOf(text.strip());
      }
      if (raw == boolean.class || raw == Boolean.class) {
        return Boolean.valueOf(text.strip());
      }
      if (raw == double.class || raw == Double.class) {
        return Double.valueOf(text.strip());
      }
      if (raw.isInstance(value)) {
        return value;
      }
      JavaType javaType = JSON.getTypeFactory().constructType(target);
      return JSON.readValue(text, javaType);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new BindingFailure(what + ": cannot convert to " + simpleNames(target.getTypeName()) + ": " + describe(e), e);
    } catch (NumberFormatException | IOException e) {
      throw new BindingFailure(what + ": cannot convert to " + simpleNames(target.getTypeName()) + ": " + firstLine(e.getMessage()), e);
    }
  }

  private static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }

  private static Object primitiveZero(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == long.class) {
      return 0L;
    }
    if (type == double.class) {
      return 0.0;
    }
    return 0;
  }

  // Jackson's own message without its "[Source: REDACTED …]" trailer, with the field and the place it failed.
  private static String describe(com.fasterxml.jackson.core.JsonProcessingException e) {
    StringBuilder text = new StringBuilder(io.realtimeai.error.JsonMessages.readable(e.getOriginalMessage()));
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      text.append(" (field '").append(mapping.getPath().stream()
          .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
          .collect(java.util.stream.Collectors.joining("."))).append("')");
    }
    if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
      text.append(" at line ").append(e.getLocation().getLineNr()).append(", column ").append(e.getLocation().getColumnNr());
    }
    return text.toString();
  }

  // io.realtimeai.scoring.ScoringJob reads as ScoringJob: the package says nothing to whoever sent the message.
  private static String simpleNames(String text) {
    return io.realtimeai.error.JsonMessages.readable(text);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /** A function invocation that failed: what the function threw, or a binding that could not be made. */
  public static class FunctionFailure extends RuntimeException {
    public FunctionFailure(String function, Throwable cause) {
      super("function " + function + " failed: " + (cause == null ? "unknown error"
          : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    }

    FunctionFailure(String message, Throwable cause, boolean unused) {
      super(message, cause);
    }
  }

  /** A trigger value that could not be converted to its parameter's type (a malformed message, say). */
  public static final class BindingFailure extends FunctionFailure {
    public BindingFailure(String message, Throwable cause) {
      super(message, cause, true);
    }
  }
}
