package dev.streamchat.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamchat.stream.journal.Durability;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigFsyncTest {

  @Test
  void fsyncIsOsUnlessSetToDiskAndNonsenseIsRefusedByName() {
    assertEquals(Durability.OS, Config.from(Map.of()).fsync());
    assertEquals(Durability.DISK, Config.from(Map.of("STREAMCHAT_FSYNC", "disk")).fsync());
    assertEquals(Durability.OS, Config.from(Map.of("STREAMCHAT_FSYNC", " OS ")).fsync());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_FSYNC", "always")));
    assertEquals("STREAMCHAT_FSYNC must be os or disk, not 'always'", e.getMessage());
  }
}
