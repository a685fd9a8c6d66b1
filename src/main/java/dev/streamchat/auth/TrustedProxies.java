package dev.streamchat.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The addresses whose requests may name a user in the proxy header: single addresses and CIDR
 * ranges, IPv4 and IPv6 (STREAMCHAT_TRUSTED_PROXIES, comma-separated). Only address literals are
 * accepted, never host names, so nothing here ever asks DNS.
 */
public final class TrustedProxies {

  private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

  /** A range: the first address's bits and how many leading bits must match. */
  private record Range(byte[] network, int prefixBits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) return false;
      int full = prefixBits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) return false;
      }
      int rest = prefixBits % 8;
      if (rest == 0) return true;
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
    this.ranges = ranges;
  }

  /** Parses {@code 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8}; nonsense is an IllegalArgumentException naming it. */
  public static TrustedProxies parse(String list) {
    List<Range> ranges = new ArrayList<>();
    for (String raw : list.split(",")) {
      String item = raw.strip();
      if (item.isEmpty()) continue;
      String[] parts = item.split("/", -1);
      byte[] address = literal(parts[0]).orElseThrow(() ->
          new IllegalArgumentException("'" + item + "' is not an IP address or CIDR range"));
      int max = address.length * 8;
      int bits = max;
      if (parts.length == 2) {
        try {
          bits = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
          bits = -1;
        }
      }
      if (parts.length > 2 || bits < 0 || bits > max) {
        throw new IllegalArgumentException("'" + item + "' has a bad prefix length (0 to " + max + ")");
      }
      ranges.add(new Range(address, bits));
    }
    return new TrustedProxies(List.copyOf(ranges));
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** True when the address (a literal, as the socket reports it) is in one of the ranges. */
  public boolean contains(String address) {
    if (address == null) return false;
    // Java reads an IPv4-mapped IPv6 literal (::ffff:a.b.c.d) as the IPv4 address.
    return literal(address).map(bytes -> ranges.stream().anyMatch(r -> r.contains(bytes))).orElse(false);
  }

  /** The bytes of an address literal, or empty when it is not one (never a DNS lookup). */
  private static Optional<byte[]> literal(String s) {
    String text = s.strip();
    if (text.startsWith("[") && text.endsWith("]")) text = text.substring(1, text.length() - 1);
    int zone = text.indexOf('%');
    if (zone >= 0) text = text.substring(0, zone);
    if (text.isEmpty() || !LITERAL.matcher(text).matches()) return Optional.empty();
    // Java resolves a string that is not a valid literal as a host name: refuse those first. (A
    // string with ':' that is not valid IPv6 is refused by Java itself, without a lookup.)
    if (!text.contains(":") && !isIpv4(text)) return Optional.empty();
    try {
      return Optional.of(InetAddress.getByName(text).getAddress());
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  private static boolean isIpv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) return false;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) return false;
    }
    return true;
  }
}
