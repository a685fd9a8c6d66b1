package dev.streamchat.auth;

/** A row of the admin page's user list. {@code liveStreams} is filled in from the running generations. */
public record UserSummary(Account account, int conversations, long storedBytes, int liveStreams) {

  UserSummary withLiveStreams(int n) {
    return new UserSummary(account, conversations, storedBytes, n);
  }
}
