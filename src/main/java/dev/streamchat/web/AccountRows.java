package dev.streamchat.web;

import dev.streamchat.auth.ApiToken;
import dev.streamchat.auth.SessionInfo;
import dev.streamchat.auth.UserSummary;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** Accounts, sessions and tokens as the account page and the admin page show them. */
final class AccountRows {

  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneId.systemDefault());

  record SessionRow(String signedIn, String lastSeen, String browser, String address, boolean current) {
  }

  record TokenRow(String id, String name, String made, String lastUsed) {
  }

  record UserRow(String id, String username, boolean disabled, int conversations, String stored, int liveStreams,
      String lastSeen) {
  }

  private AccountRows() {
  }

  static List<SessionRow> sessions(List<SessionInfo> sessions, String currentDigest) {
    return sessions.stream().map(s -> new SessionRow(when(s.createdAt()), when(s.lastSeenAt()),
        s.userAgent() == null ? "unknown" : s.userAgent(), s.address(), s.idHash().equals(currentDigest))).toList();
  }

  static List<TokenRow> tokens(List<ApiToken> tokens) {
    return tokens.stream().map(t -> new TokenRow(t.id(), t.name(), when(t.createdAt()),
        t.lastUsedAt() == null ? "never" : when(t.lastUsedAt()))).toList();
  }

  static List<UserRow> users(List<UserSummary> users) {
    return users.stream().map(u -> new UserRow(u.account().id(), u.account().username(), u.account().disabled(),
        u.conversations(), AdminSnapshot.bytes(u.storedBytes()), u.liveStreams(), when(u.account().lastSeenAt()))).toList();
  }

  private static String when(long epochMillis) {
    return WHEN.format(Instant.ofEpochMilli(epochMillis));
  }
}
