package dev.streamchat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/** A small line-chart writer: the report's plots, made by the benchmark with no other tools. */
final class Svg {

  record Series(String name, double[] x, double[] y) {
  }

  /** An axis: its label, log or linear, its ticks and how a tick is written. */
  record Axis(String label, boolean log, double[] ticks, DoubleFunction<String> format) {
  }

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  private static final int W = 720;
  private static final int H = 420;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  private Svg() {
  }

  static String chart(String title, Axis xAxis, Axis yAxis, List<Series> series) {
    double[] xr = range(xAxis, series, true);
    double[] yr = range(yAxis, series, false);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
        W, H, W, H));
    sb.append(text(W / 2.0, 22, "middle", 15, esc(title)));
    int pw = W - LEFT - RIGHT;
    int ph = H - TOP - BOTTOM;
    sb.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", LEFT, TOP, pw, ph));
    for (double t : xAxis.ticks()) {
      if (t < xr[0] || t > xr[1]) continue;
      double px = px(t, xAxis, xr);
      sb.append(line(px, TOP, px, TOP + ph, "#ddd"));
      sb.append(text(px, TOP + ph + 16, "middle", 11, esc(xAxis.format().apply(t))));
    }
    for (double t : yAxis.ticks()) {
      if (t < yr[0] || t > yr[1]) continue;
      double py = py(t, yAxis, yr);
      sb.append(line(LEFT, py, LEFT + pw, py, "#ddd"));
      sb.append(text(LEFT - 6, py + 4, "end", 11, esc(yAxis.format().apply(t))));
    }
    sb.append(text(LEFT + pw / 2.0, H - 18, "middle", 12, esc(xAxis.label())));
    sb.append(String.format(Locale.ROOT,
        "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">%s</text>\n",
        TOP + ph / 2.0, TOP + ph / 2.0, esc(yAxis.label())));
    for (int s = 0; s < series.size(); s++) {
      Series ser = series.get(s);
      String color = COLORS[s % COLORS.length];
      List<String> pts = new ArrayList<>();
      for (int i = 0; i < ser.x().length; i++) {
        if (!usable(ser.x()[i], xAxis) || !usable(ser.y()[i], yAxis)) continue;
        pts.add(String.format(Locale.ROOT, "%.1f,%.1f", px(ser.x()[i], xAxis, xr), py(ser.y()[i], yAxis, yr)));
      }
      sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"")
          .append(String.join(" ", pts)).append("\"/>\n");
      for (String p : pts) {
        String[] xy = p.split(",");
        sb.append("<circle cx=\"").append(xy[0]).append("\" cy=\"").append(xy[1])
            .append("\" r=\"2.5\" fill=\"").append(color).append("\"/>\n");
      }
      double ly = TOP + 14 + s * 16;
      sb.append(line(LEFT + 10, ly - 4, LEFT + 30, ly - 4, color));
      sb.append(text(LEFT + 36, ly, "start", 11, esc(ser.name())));
    }
    return sb.append("</svg>\n").toString();
  }

  private static boolean usable(double v, Axis a) {
    return Double.isFinite(v) && (!a.log() || v > 0);
  }

  private static double[] range(Axis a, List<Series> series, boolean x) {
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    for (Series s : series) {
      for (double v : x ? s.x() : s.y()) {
        if (!usable(v, a)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (lo == Double.MAX_VALUE) return new double[] {a.log() ? 1 : 0, a.log() ? 10 : 1};
    if (a.log()) {
      lo = Math.pow(10, Math.floor(Math.log10(lo)));
      hi = Math.pow(10, Math.ceil(Math.log10(hi * 1.0001)));
    } else {
      lo = Math.min(0, lo);
      hi = hi <= lo ? lo + 1 : hi * 1.05;
    }
    return new double[] {lo, hi};
  }

  private static double frac(double v, Axis a, double[] r) {
    return a.log() ? (Math.log10(v) - Math.log10(r[0])) / (Math.log10(r[1]) - Math.log10(r[0]))
        : (v - r[0]) / (r[1] - r[0]);
  }

  private static double px(double v, Axis a, double[] r) {
    return LEFT + frac(v, a, r) * (W - LEFT - RIGHT);
  }

  private static double py(double v, Axis a, double[] r) {
    return TOP + (1 - frac(v, a, r)) * (H - TOP - BOTTOM);
  }

  private static String line(double x1, double y1, double x2, double y2, String color) {
    return String.format(Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x1, y1, x2, y2, color);
  }

  private static String text(double x, double y, String anchor, int size, String s) {
    return String.format(Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>\n", x, y, anchor, size, s);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Ticks 1, 2, 5, 10, 20, 50 … over many decades, for log axes. */
  static double[] logTicks(double from, double to) {
    List<Double> t = new ArrayList<>();
    for (double d = from; d <= to * 1.0001; d *= 10) {
      t.add(d);
      t.add(2 * d);
      t.add(5 * d);
    }
    return t.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
