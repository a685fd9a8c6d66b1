package dev.streamchat.stream.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SparseIndexTest {

  @Test
  void staysSmallKeepsEachSegmentsFirstRecordAndNeverPointsPastTheCursor() {
    SparseIndex index = new SparseIndex();
    int records = 100_000;
    for (int seq = 1; seq <= records; seq++) index.add(seq, SparseIndex.pack(1, seq * 20L));
    for (int seq = records + 1; seq <= records + 10; seq++) index.add(seq, SparseIndex.pack(2, seq * 20L));

    assertEquals(SparseIndex.pack(2, (records + 1) * 20L), index.floor(records + 1),
        "a read in segment 2 starts there, not at the far end of segment 1");
    assertEquals(2, SparseIndex.segment(index.floor(records + 10)));
    Random random = new Random(1);
    for (int i = 0; i < 10_000; i++) {
      long seq = 1 + random.nextInt(records);
      long found = SparseIndex.offset(index.floor(seq)) / 20;
      assertTrue(found <= seq, "never past the cursor");
      assertTrue(seq - found <= 2 * records / SparseIndex.CAP * 2, "a short scan: " + (seq - found));
    }
  }

  @Test
  void entriesAlsoComeEveryFewKilobytesWhenOtherStreamsLieBetween() {
    SparseIndex index = new SparseIndex();
    // One record of this generation per 20 KiB of segment (many other streams interleaved).
    for (int seq = 1; seq <= 100; seq++) index.add(seq, SparseIndex.pack(1, seq * 20_480L));
    for (int seq = 1; seq <= 100; seq++) {
      assertTrue(seq - SparseIndex.offset(index.floor(seq)) / 20_480 <= 4, "at most 64 KiB to scan");
    }
  }
}
