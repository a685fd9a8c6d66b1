package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.ops.EndedGenerations.Ended;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin charts' figures: one series per model, points inside the plot, an axis that reads well. */
class AdminChartsTest {

  private static final long NOW = 1_800_000_000_000L;

  private static Ended ended(String model, long agoMs, long ttftMs, double tps) {
    return new Ended("g", "c", "o", model, "done", null, NOW - agoMs - 1000, NOW - agoMs, 10, ttftMs, tps, 0);
  }

  @Test
  void eachModelIsASeriesOfPointsInsideThePlot() {
    AdminCharts charts = AdminCharts.of(List.of(ended("b", 1_000, 40, 30.0), ended("a", 600_000, 120, 12.5),
        ended("a", 3_000_000, -1, 7.0), ended("a", 4_000_000, 90, 99.0)), NOW);
    AdminCharts.Chart tps = charts.charts().get(0);
    AdminCharts.Chart ttft = charts.charts().get(1);
    assertEquals(List.of("a", "b"), tps.series().stream().map(AdminCharts.Series::model).toList());
    assertEquals(2, tps.series().get(0).dots().size(), "older than the hour is left out");
    assertEquals(1, ttft.series().get(0).dots().size(), "an answer with no first token has no time to it");
    assertEquals("50", tps.max(), "the axis ends at a round number above the largest value");
    assertEquals("12.5 tokens/s", tps.series().get(0).latest());
    assertNotEquals(tps.series().get(0).colour(), tps.series().get(1).colour());
    for (AdminCharts.Chart c : charts.charts()) {
      for (AdminCharts.Series s : c.series()) {
        for (AdminCharts.Point p : s.dots()) {
          double x = Double.parseDouble(p.x());
          double y = Double.parseDouble(p.y());
          assertTrue(x >= 0 && x <= AdminCharts.WIDTH && y >= 0 && y <= AdminCharts.HEIGHT, p.toString());
        }
      }
    }
    assertTrue(ttft.summary().contains("b 40 ms"), ttft.summary());
  }

  @Test
  void theChartsChangeOnlyWhenAMinutePassesOrAnAnswerEnds() {
    List<Ended> list = List.of(ended("a", 5_000, 40, 30.0));
    long minute = NOW - NOW % 60_000;
    assertEquals(AdminCharts.of(list, minute + 1_000), AdminCharts.of(list, minute + 59_000));
    assertNotEquals(AdminCharts.of(list, minute + 1_000), AdminCharts.of(list, minute + 61_000));
    assertTrue(AdminCharts.of(List.of(), NOW).charts().get(0).summary().endsWith("no answer ended in the last hour."));
  }

  @Test
  void niceCeilingsAreOneTwoOrFiveTimesAPowerOfTen() {
    assertEquals(1, AdminCharts.niceCeiling(0));
    assertEquals(2, AdminCharts.niceCeiling(1.5));
    assertEquals(500, AdminCharts.niceCeiling(201));
    assertEquals(1000, AdminCharts.niceCeiling(501));
    assertEquals(0.5, AdminCharts.niceCeiling(0.31), 1e-9);
  }
}
