package dev.streamchat.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLeaseTest {

  private static Map<String, String> service(String lease) {
    Map<String, String> env = new HashMap<>(Map.of("STREAMCHAT_REDIS_URL", "redis://127.0.0.1:6379/0",
        "STREAMCHAT_DATABASE_URL", "postgresql://db/streamchat", "STREAMCHAT_INSTANCE_ADDRESS", "a:8080"));
    if (lease != null) env.put("STREAMCHAT_REDIS_LEASE_MS", lease);
    return env;
  }

  @Test
  void theLeaseIsSixSecondsUnlessSetAndNonsenseIsRefusedByName() {
    assertEquals(6000, Config.from(service(null)).cluster().orElseThrow().leaseMs());
    assertEquals(1500, Config.from(service("1500")).cluster().orElseThrow().leaseMs());
    for (String nonsense : new String[] {"999", "300001", "6s"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Config.from(service(nonsense)));
      assertEquals("STREAMCHAT_REDIS_LEASE_MS must be a whole number from 1000 to 300000, not '" + nonsense + "'",
          e.getMessage());
    }
  }
}
