package dev.streamchat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.app.Config;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Addresses and CIDR ranges (IPv4, IPv6) and the start-up checks of the auth settings. */
class TrustedProxiesTest {

  @Test
  void addressesAndRangesOfBothFamiliesMatchExactly() {
    TrustedProxies t = TrustedProxies.parse("127.0.0.1, 10.0.0.0/8,192.168.1.128/25, ::1, fd00::/8, 2001:db8::/127");
    assertTrue(t.contains("127.0.0.1"));
    assertFalse(t.contains("127.0.0.2"));
    assertTrue(t.contains("10.255.1.2"));
    assertFalse(t.contains("11.0.0.1"));
    assertTrue(t.contains("192.168.1.200"));
    assertFalse(t.contains("192.168.1.127"), "/25 splits the last byte");
    assertTrue(t.contains("::1"));
    assertTrue(t.contains("0:0:0:0:0:0:0:1"), "any spelling of the same address");
    assertTrue(t.contains("fd12:3456::9"));
    assertFalse(t.contains("fe80::1"));
    assertTrue(t.contains("2001:db8::1"));
    assertFalse(t.contains("2001:db8::2"));
    assertTrue(t.contains("::ffff:10.1.2.3"), "an IPv4-mapped IPv6 address is its IPv4 address");
    assertFalse(t.contains("localhost"), "names are never resolved");
    assertFalse(t.contains(null));
    assertTrue(TrustedProxies.parse("0.0.0.0/0").contains("8.8.8.8"));
    assertTrue(TrustedProxies.parse("").isEmpty());
  }

  @Test
  void nonsenseIsRefusedNamingIt() {
    for (String bad : new String[] {"example.com", "10.0.0.0/33", "::/129", "1.2.3.4/x", "1.2.3", "1.2.3.4/8/8", "300.1.1.1"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad.split("/")[0]), e.getMessage());
    }
  }

  @Test
  void proxyModeWithoutHeaderOrProxiesRefusesToStart() {
    IllegalArgumentException noHeader = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_AUTH", "proxy", "STREAMCHAT_TRUSTED_PROXIES", "127.0.0.1")));
    assertTrue(noHeader.getMessage().contains("STREAMCHAT_AUTH_HEADER"), noHeader.getMessage());
    IllegalArgumentException noProxies = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_AUTH", "proxy", "STREAMCHAT_AUTH_HEADER", "X-Forwarded-Email")));
    assertTrue(noProxies.getMessage().contains("STREAMCHAT_TRUSTED_PROXIES"), noProxies.getMessage());
    IllegalArgumentException badMode = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_AUTH", "ldap")));
    assertTrue(badMode.getMessage().contains("[open, accounts, proxy]"), badMode.getMessage());
    IllegalArgumentException badCidr = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_TRUSTED_PROXIES", "10.0.0.0/99")));
    assertTrue(badCidr.getMessage().startsWith("STREAMCHAT_TRUSTED_PROXIES"), badCidr.getMessage());
    assertEquals(AuthSettings.Mode.OPEN, Config.from(Map.of()).auth().mode(), "open by default");
    assertEquals(AuthSettings.Signup.CLOSED, Config.from(Map.of("STREAMCHAT_SIGNUP", "Closed")).auth().signup());
  }
}
