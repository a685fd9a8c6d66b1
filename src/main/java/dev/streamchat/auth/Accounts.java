package dev.streamchat.auth;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.Problem;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What people and the operator can do with accounts: sign up, sign in (throttled), sessions,
 * passwords, API tokens, the proxy's users, disabling and invites. The web side only speaks HTTP
 * around it. Password hashing runs on a small pool of its own (Argon2id is deliberately costly);
 * lookups a request needs (its session, its token) are cached for a few seconds and forgotten at
 * once when a session ends or a user is disabled.
 */
public final class Accounts {

  private static final Logger LOG = LoggerFactory.getLogger(Accounts.class);
  /** Lower case letters, digits and {@code . _ -}, starting with a letter or digit. */
  static final Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._-]{2,31}");
  /** What a proxy may name: also e-mail addresses. */
  static final Pattern PROXY_USERNAME = Pattern.compile("[a-z0-9][a-z0-9._@+-]{0,99}");
  static final String USERNAME_RULE = "A username has 3 to 32 characters: lower case letters, digits, '.', '_' "
      + "and '-', starting with a letter or digit.";
  public static final String TOKEN_PREFIX = "sct_";
  private static final int MAX_TOKENS = 50;
  private static final int MAX_TOKEN_NAME = 100;
  private static final long INVITE_MS = 7 * 24 * 3600_000L;
  private static final long CACHE_MS = 30_000;
  private static final int CACHE_MAX = 50_000;
  private static final int ADMIN_LIST = 500;

  /** A new API token: the secret is shown once, here, and never again. */
  public record NewToken(ApiToken token, String secret) {
  }

  private record Cached(Optional<Account> account, long at) {
  }

  private final Vertx vertx;
  private final AccountStore store;
  private final AuthSettings settings;
  private final ChatService chat;
  private final StreamStore streams;
  private final LoginThrottle throttle = new LoginThrottle();
  private final WorkerExecutor hashing;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  /**
   * False while nobody has ever signed in: then an anonymous request needs no lookup at all, so
   * a server used only anonymously (the default) pays nothing per request for accounts.
   */
  private volatile boolean anySessions = true;
  /** Moves on whenever cached lookups are forgotten: a lookup that began before is not kept. */
  private final java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();

  public Accounts(Vertx vertx, AccountStore store, AuthSettings settings, ChatService chat, StreamStore streams) {
    this.vertx = vertx;
    this.store = store;
    this.settings = settings;
    this.chat = chat;
    this.streams = streams;
    // Two at a time: each Argon2id run takes 19 MiB and most of a core for a few tens of ms.
    this.hashing = vertx.createSharedWorkerExecutor("streamchat-passwords", 2);
  }

  /** Reads what the per-request lookups need to know before the first request. */
  public Future<Void> start() {
    return store.anySessions().map(any -> {
      anySessions = any;
      return null;
    });
  }

  public AuthSettings settings() {
    return settings;
  }

  /** Whether a person may make an account here, and with what. */
  public boolean signupAllowed() {
    return settings.mode() != AuthSettings.Mode.PROXY && settings.signup() != AuthSettings.Signup.CLOSED;
  }

  public boolean invitesRequired() {
    return settings.signup() == AuthSettings.Signup.INVITE;
  }

  /** Makes an account (with an invite when STREAMCHAT_SIGNUP=invite). */
  public Future<Account> signup(String username, String password, String invite) {
    if (settings.mode() == AuthSettings.Mode.PROXY) {
      return Future.failedFuture(new Problem(403, "Accounts are made by the sign-in proxy here."));
    }
    if (settings.signup() == AuthSettings.Signup.CLOSED) {
      return Future.failedFuture(new Problem(403, "Sign-up is closed on this server; ask its operator for an account."));
    }
    String name = normalise(username);
    if (name == null || !USERNAME.matcher(name).matches()) return Future.failedFuture(Problem.badRequest(USERNAME_RULE));
    String weak = Passwords.problem(password);
    if (weak != null) return Future.failedFuture(Problem.badRequest(weak));
    String inviteHash = null;
    if (invitesRequired()) {
      if (invite == null || invite.isBlank() || invite.length() > 100) {
        return Future.failedFuture(new Problem(403, "Sign-up here needs an invite link from the operator."));
      }
      inviteHash = Secrets.digest(invite.strip());
    }
    String inviteDigest = inviteHash;
    return hashing.executeBlocking(() -> Passwords.hash(password), false)
        .compose(hash -> store.createUser(name, hash, inviteDigest))
        .onSuccess(a -> LOG.info("account '{}' created", a.username()));
  }

  /**
   * Checks a username and password, throttled per account and per address; answers the account.
   * Wrong or unknown is one answer (401), so a stranger cannot tell which usernames exist.
   */
  public Future<Account> login(String username, String password, String address) {
    if (settings.mode() == AuthSettings.Mode.PROXY) {
      return Future.failedFuture(new Problem(403, "Sign in through the sign-in proxy here."));
    }
    String name = normalise(username);
    String throttleName = name != null && USERNAME.matcher(name).matches() ? name : "(invalid)";
    try {
      throttle.check(throttleName, address);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    Future<Optional<AccountStore.Credentials>> found = throttleName.equals("(invalid)")
        ? Future.succeededFuture(Optional.empty()) : store.credentials(name);
    return found.compose(creds -> hashing.executeBlocking(() -> {
      if (creds.isEmpty() || creds.get().passwordHash() == null) {
        Passwords.burn(password);
        return false;
      }
      return Passwords.verify(password, creds.get().passwordHash());
    }, false).map(ok -> {
      if (!ok) {
        throttle.failed(throttleName, address);
        throw new Problem(401, "Wrong username or password.");
      }
      throttle.succeeded(throttleName);
      Account a = creds.get().account();
      if (a.disabled()) throw new Problem(403, "This account is disabled; ask the server's operator.");
      return a;
    }));
  }

  /**
   * Opens a new signed-in session for the account and answers its id (the new cookie). In open
   * mode the conversations of the anonymous session it replaces move into the account.
   */
  public Future<String> openSession(Account account, String anonymousOwner, String userAgent, String address) {
    String sid = Secrets.random();
    Future<Integer> moved = anonymousOwner == null || settings.mode() != AuthSettings.Mode.OPEN
        ? Future.succeededFuture(0) : chat.store().transferConversations(anonymousOwner, account.owner());
    return moved.compose(n -> {
      if (n > 0) LOG.info("{} conversations of an anonymous session moved into account '{}'", n, account.username());
      anySessions = true;
      return store.openSession(Secrets.digest(sid), account.id(), userAgent, address);
    }).map(sid);
  }

  /** The account a session (by the digest of its cookie) is signed in to, if any and not disabled. */
  public Future<Optional<Account>> sessionAccount(String sidDigest) {
    if (!anySessions) return Future.succeededFuture(Optional.empty());
    return cached("s:" + sidDigest, () -> store.sessionUser(sidDigest));
  }

  /** The account an API token belongs to, if the token is live and its user not disabled. */
  public Future<Optional<Account>> tokenAccount(String token) {
    if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 100) {
      return Future.succeededFuture(Optional.empty());
    }
    String digest = Secrets.digest(token);
    return cached("t:" + digest, () -> store.tokenUser(digest));
  }

  /** The user an authenticating proxy names (made on first sight); a disabled one is a 403. */
  public Future<Account> proxyAccount(String headerValue) {
    String name = normalise(headerValue);
    if (name == null || !PROXY_USERNAME.matcher(name).matches()) {
      return Future.failedFuture(new Problem(401, "The sign-in proxy did not name a usable user."));
    }
    return cachedAccount("p:" + name, () -> store.proxyUser(name).map(Optional::of)).map(found -> {
      Account a = found.orElseThrow(() -> new Problem(401, "The sign-in proxy did not name a usable user."));
      if (a.disabled()) throw new Problem(403, "This account is disabled; ask the server's operator.");
      return a;
    });
  }

  public Future<Void> logout(String sidDigest) {
    // andThen: the caller goes on only once the cached session is forgotten.
    return store.closeSession(sidDigest).andThen(ar -> {
      epoch.incrementAndGet();
      cache.remove("s:" + sidDigest);
    });
  }

  /** Ends every session of the account, this one too. */
  public Future<Integer> logoutEverywhere(Account account) {
    return store.closeSessions(account.id(), null).andThen(ar -> forget(account.id()))
        .onSuccess(n -> LOG.info("account '{}' signed out of {} sessions", account.username(), n));
  }

  /** Changes the password (the current one is checked, throttled) and ends every other session. */
  public Future<Void> changePassword(Account account, String keepSidDigest, String current, String next, String address) {
    String weak = Passwords.problem(next);
    if (weak != null) return Future.failedFuture(Problem.badRequest(weak));
    try {
      throttle.check(account.username(), address);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    return store.credentialsById(account.id()).compose(creds -> hashing.executeBlocking(() -> {
      String stored = creds.map(AccountStore.Credentials::passwordHash).orElse(null);
      if (stored == null) throw new Problem(409, "This account signs in through the proxy and has no password.");
      if (!Passwords.verify(current, stored)) {
        throttle.failed(account.username(), address);
        throw new Problem(403, "The current password is wrong.");
      }
      return Passwords.hash(next);
    }, false)).compose(hash -> store.setPassword(account.id(), hash, keepSidDigest))
        .andThen(ar -> forget(account.id()))
        .onSuccess(v -> LOG.info("account '{}' changed its password; its other sessions were ended", account.username()));
  }

  public Future<List<SessionInfo>> sessions(Account account) {
    return store.sessions(account.id());
  }

  public Future<NewToken> createToken(Account account, String name) {
    String n = name == null ? "" : name.strip();
    if (n.isEmpty() || n.length() > MAX_TOKEN_NAME) {
      return Future.failedFuture(Problem.badRequest("A token needs a name of 1 to " + MAX_TOKEN_NAME + " characters."));
    }
    String secret = TOKEN_PREFIX + Secrets.random();
    return store.createToken(account.id(), n, Secrets.digest(secret), MAX_TOKENS).map(t -> new NewToken(t, secret));
  }

  public Future<List<ApiToken>> tokens(Account account) {
    return store.tokens(account.id());
  }

  /** Revokes one of the account's tokens, at once; another user's token is a 404. */
  public Future<Void> revokeToken(Account account, String tokenId) {
    return store.deleteToken(account.id(), tokenId).map(found -> {
      if (!found) throw Problem.notFound("token");
      forget(account.id());
      return null;
    });
  }

  /** The users, most recently seen first, with their running answers counted. */
  public Future<List<UserSummary>> users() {
    return store.users(ADMIN_LIST).map(list -> {
      Map<String, Integer> live = new java.util.HashMap<>();
      for (GenerationStatus log : streams.running()) live.merge(log.info().owner(), 1, Integer::sum);
      List<UserSummary> out = new ArrayList<>();
      for (UserSummary u : list) out.add(u.withLiveStreams(live.getOrDefault(u.account().owner(), 0)));
      return out;
    });
  }

  /**
   * Disables a user: their sessions and tokens stop at once, their running answers are stopped,
   * and {@link AuthEvents#DISABLED} tells the rest of the process (open event streams end).
   */
  public Future<Account> disable(String userId) {
    return store.setDisabled(userId, true).compose(found -> {
      Account a = found.orElseThrow(() -> Problem.notFound("user"));
      forget(a.id());
      vertx.eventBus().publish(AuthEvents.DISABLED, a.owner());
      // Theirs: started under their owner id, or in a conversation of theirs (one that moved in
      // from an anonymous session keeps the owner it started under). Stopping an answer ends
      // every open event stream of it with its end event.
      List<Future<Boolean>> stops = new ArrayList<>();
      for (GenerationStatus log : streams.running()) {
        Future<GenerationStatus> theirs = log.info().owner().equals(a.owner()) ? Future.succeededFuture(log)
            : chat.generation(a.owner(), log.id());
        stops.add(theirs.compose(l -> chat.stopAny(l.id())).map(true).otherwise(false));
      }
      return Future.join(stops).map(v -> {
        long stopped = stops.stream().filter(f -> Boolean.TRUE.equals(f.result())).count();
        LOG.warn("user '{}' disabled by the operator; {} running answers stopped", a.username(), stopped);
        return a;
      });
    });
  }

  public Future<Account> enable(String userId) {
    return store.setDisabled(userId, false).map(found -> {
      Account a = found.orElseThrow(() -> Problem.notFound("user"));
      forget(a.id());
      LOG.info("user '{}' enabled by the operator", a.username());
      return a;
    });
  }

  /** A new single-use invite code, valid for a week. */
  public Future<String> createInvite() {
    String code = Secrets.random();
    return store.createInvite(Secrets.digest(code), System.currentTimeMillis() + INVITE_MS).map(code);
  }

  /** Lets password hashing under way finish; the store's queries end with the chat store's runner. */
  public Future<Void> close() {
    return hashing.close();
  }

  /** Usernames are compared in lower case; null stays null. */
  private static String normalise(String username) {
    return username == null ? null : username.strip().toLowerCase(Locale.ROOT);
  }

  /** A lookup that is kept {@value #CACHE_MS} ms; a disabled account counts as none. */
  private Future<Optional<Account>> cached(String key, java.util.function.Supplier<Future<Optional<Account>>> load) {
    return cachedAccount(key, load).map(found -> found.filter(a -> !a.disabled()));
  }

  private Future<Optional<Account>> cachedAccount(String key, java.util.function.Supplier<Future<Optional<Account>>> load) {
    long now = System.currentTimeMillis();
    Cached hit = cache.get(key);
    if (hit != null && now - hit.at() < CACHE_MS) return Future.succeededFuture(hit.account());
    long before = epoch.get();
    return load.get().onSuccess(found -> {
      if (cache.size() >= CACHE_MAX) cache.clear();
      if (epoch.get() == before) cache.put(key, new Cached(found, now));
    });
  }

  /** Forgets every cached lookup of a user, so what changed takes effect on their next request. */
  private void forget(String userId) {
    epoch.incrementAndGet();
    cache.values().removeIf(c -> c.account().map(a -> a.id().equals(userId)).orElse(false));
  }
}
