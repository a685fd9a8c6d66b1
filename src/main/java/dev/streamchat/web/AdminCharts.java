package dev.streamchat.web;

import dev.streamchat.ops.EndedGenerations;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The admin page's small charts: tokens per second and time to first token of the answers that
 * ended in the last hour, one series per model, as coordinates for an inline SVG the template
 * draws. The time axis moves once a minute, so a chart changes only when an answer ends or a
 * minute passes, and the admin stream sends it only then.
 */
record AdminCharts(List<Chart> charts) {

  static final int WIDTH = 320;
  static final int HEIGHT = 90;
  private static final long MINUTE_MS = 60_000;
  /** Distinct in both themes, and apart for the common kinds of colour blindness. */
  private static final List<String> COLOURS = List.of("#2f80ed", "#e8702a", "#14a38b", "#c94fbd", "#a08a00", "#7a7f87");

  /** One chart: its title, the largest value on its axis, and a series per model. */
  record Chart(String title, String max, String summary, List<Series> series) {
    public int width() {
      return WIDTH;
    }

    public int height() {
      return HEIGHT;
    }

    /** Room left of the plot for the axis labels, and below it for the time labels. */
    public String viewBox() {
      return "-34 -8 " + (WIDTH + 40) + " " + (HEIGHT + 24);
    }
  }

  /** One model's points, "x,y x,y …" in the chart's coordinates, and its latest value. */
  record Series(String model, String colour, String points, List<Point> dots, String latest) {
  }

  record Point(String x, String y) {
  }

  static AdminCharts of(List<EndedGenerations.Ended> ended, long now) {
    long windowEnd = (now / MINUTE_MS + 1) * MINUTE_MS;
    long windowStart = windowEnd - EndedGenerations.WINDOW_MS;
    List<EndedGenerations.Ended> inWindow = ended.stream().filter(e -> e.endedAt() >= windowStart).toList();
    return new AdminCharts(List.of(
        chart("Tokens per second", "tokens/s", inWindow, windowStart, EndedGenerations.Ended::tokensPerSecond),
        chart("Time to first token", "ms", inWindow, windowStart, e -> e.ttftMs() < 0 ? Double.NaN : e.ttftMs())));
  }

  private static Chart chart(String title, String unit, List<EndedGenerations.Ended> ended, long windowStart,
      ToDoubleFunction<EndedGenerations.Ended> value) {
    Map<String, List<EndedGenerations.Ended>> byModel = new TreeMap<>();
    double max = 0;
    for (EndedGenerations.Ended e : ended) {
      double v = value.applyAsDouble(e);
      if (Double.isNaN(v)) continue;
      byModel.computeIfAbsent(e.model(), m -> new ArrayList<>()).add(e);
      max = Math.max(max, v);
    }
    double top = niceCeiling(max);
    List<Series> series = new ArrayList<>();
    for (Map.Entry<String, List<EndedGenerations.Ended>> m : byModel.entrySet()) {
      List<EndedGenerations.Ended> oldestFirst = new ArrayList<>(m.getValue());
      oldestFirst.sort(java.util.Comparator.comparingLong(EndedGenerations.Ended::endedAt));
      StringBuilder points = new StringBuilder();
      List<Point> dots = new ArrayList<>();
      for (EndedGenerations.Ended e : oldestFirst) {
        String x = coordinate((e.endedAt() - windowStart) * (double) WIDTH / EndedGenerations.WINDOW_MS);
        String y = coordinate(HEIGHT - value.applyAsDouble(e) / top * HEIGHT);
        points.append(points.isEmpty() ? "" : " ").append(x).append(',').append(y);
        dots.add(new Point(x, y));
      }
      double latest = value.applyAsDouble(oldestFirst.get(oldestFirst.size() - 1));
      series.add(new Series(m.getKey(), COLOURS.get(series.size() % COLOURS.size()), points.toString(), dots,
          number(latest) + " " + unit));
    }
    String summary = series.isEmpty() ? title + ": no answer ended in the last hour."
        : title + " over the last hour, per model; latest: " + String.join(", ",
            series.stream().map(s -> s.model() + " " + s.latest()).toList()) + ".";
    return new Chart(title + " (" + unit + ")", number(top), summary, series);
  }

  /** 1, 2 or 5 times a power of ten, at least the value: an axis a reader takes in at a glance. */
  static double niceCeiling(double v) {
    if (v <= 0) return 1;
    double power = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 5, 10}) {
      if (step * power >= v) return step * power;
    }
    return 10 * power;
  }

  private static String coordinate(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  private static String number(double d) {
    return d >= 100 || d == Math.rint(d) ? String.valueOf(Math.round(d)) : String.format(Locale.ROOT, "%.1f", d);
  }
}
