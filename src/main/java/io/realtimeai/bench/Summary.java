package io.realtimeai.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The report's closing table: each ratio against the floor measured in the same run, its goal, and whether it is met. */
public final class Summary {
  /**
   * One row.
   *
   * @param what what is compared with what
   * @param measured the figure as printed
   * @param goal the goal as printed
   * @param met whether the goal is met; null when it was not measured in this run
   */
  public record Row(String what, String measured, String goal, Boolean met) {}

  private final List<Row> rows = new ArrayList<>();

  /** A ratio row: {@code value} (×) against the goal {@code value ≤ most}. */
  public void atMost(String what, double value, double most) {
    rows.add(new Row(what, String.format(Locale.ROOT, "%.3f×", value), String.format(Locale.ROOT, "≤ %.2f×", most),
        value <= most));
  }

  /** A ratio row with the goal {@code value ≥ least}. */
  public void atLeast(String what, double value, double least) {
    rows.add(new Row(what, String.format(Locale.ROOT, "%.3f×", value), String.format(Locale.ROOT, "≥ %.2f×", least),
        value >= least));
  }

  /** A difference in milliseconds with the goal {@code value ≤ most}. */
  public void millisAtMost(String what, double value, double most) {
    rows.add(new Row(what, String.format(Locale.ROOT, "%+.3f ms", value), String.format(Locale.ROOT, "≤ %.1f ms", most),
        value <= most));
  }

  /** A row this run could not measure, and why. */
  public void notMeasured(String what, String goal, String why) {
    rows.add(new Row(what, why, goal, null));
  }

  /** The rows so far. */
  public List<Row> rows() {
    return List.copyOf(rows);
  }

  /** Prints the table. */
  public void print(PrintStream out) {
    out.printf(Locale.ROOT, "%nsummary — ratios against the raw engine measured in this run%n");
    int width = rows.stream().mapToInt(r -> r.what().length()).max().orElse(10);
    int measuredWidth = Math.max(10, rows.stream().mapToInt(r -> r.measured().length()).max().orElse(10));
    String format = "  %-" + width + "s  %-" + measuredWidth + "s  %-10s  %s%n";
    out.printf(Locale.ROOT, format, "", "measured", "goal", "met");
    for (Row row : rows) {
      out.printf(Locale.ROOT, format, row.what(), row.measured(), row.goal(),
          row.met() == null ? "not measured" : row.met() ? "yes" : "NO");
    }
  }
}
