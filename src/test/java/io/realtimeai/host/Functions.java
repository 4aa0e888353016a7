package io.realtimeai.host;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test functions made from the test apps' own, changed where a test needs a bad binding. */
public final class Functions {
  private Functions() {}

  /** {@code function} with one property of its trigger binding set to {@code value}. */
  public static FunctionInvoker withTrigger(FunctionInvoker function, String property, Object value) {
    FunctionDescriptor d = function.descriptor();
    List<Binding> bindings = d.bindings().stream().map(b -> {
      if (!b.isTrigger()) {
        return b;
      }
      Map<String, Object> properties = new HashMap<>(b.properties());
      properties.put(property, value);
      return new Binding(b.type(), b.direction(), b.name(), properties);
    }).toList();
    return FunctionInvoker.of(new FunctionDescriptor(d.name(), d.entryPoint(), bindings), Functions.class.getClassLoader());
  }
}
