package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * CSRF protection for the pages, on top of the Origin check: every state-changing page request
 * must carry the session's token (header {@value #HEADER}, which app.js adds to every htmx
 * request, or form field {@value #FIELD}). The token is an HMAC of the session's id digest under a
 * server secret kept in the data dir, so it needs no server state and survives restarts; a
 * cross-site form cannot read it. The JSON API under /api/ is for programs and keeps the Origin
 * rule of shared/API.md alone.
 */
final class Csrf implements Handler<RoutingContext> {

  static final String HEADER = "X-CSRF-Token";
  static final String FIELD = "csrf";
  static final String SECRET_FILE = "csrf.key";
  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final SecretKeySpec key;

  Csrf(byte[] secret) {
    this.key = new SecretKeySpec(secret, "HmacSHA256");
  }

  @Override
  public void handle(RoutingContext ctx) {
    // The API follows the Origin rule of shared/API.md. Admin actions need the admin's
    // SameSite=Strict cookie (or a bearer token), which no cross-site request carries.
    String path = ctx.request().path();
    if (SAFE.contains(ctx.request().method()) || path.startsWith("/api/") || path.startsWith("/admin/")) {
      ctx.next();
      return;
    }
    String sent = ctx.request().getHeader(HEADER);
    if (sent == null) sent = ctx.request().getFormAttribute(FIELD);
    if (sent != null && MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8),
        token(ctx).getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
    } else {
      ctx.fail(new Problem(403, "This page is out of date or the request did not come from it; reload the page."));
    }
  }

  /**
   * The token of the request's browser session, for the page to carry. It is bound to the
   * session cookie (see {@link Sessions#csrfSubject}), so it changes when signing in or out
   * rotates the cookie, and a page of one session is no use in another.
   */
  String token(RoutingContext ctx) {
    return token(Sessions.csrfSubject(ctx));
  }

  private String token(String subject) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] d = mac.doFinal(("csrf:" + subject).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The server secret under the data dir, made on first use (readable by the owner only). Blocking. */
  static synchronized byte[] secret(Path dataDir) throws IOException {
    Path file = dataDir.resolve(SECRET_FILE);
    if (!Files.exists(file)) {
      byte[] fresh = new byte[32];
      new SecureRandom().nextBytes(fresh);
      Files.createDirectories(dataDir);
      try {
        Files.write(file, fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
          Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
          // Windows: the data dir's own permissions protect it.
        }
        return fresh;
      } catch (FileAlreadyExistsException another) {
        // Another process made it first: use theirs.
      }
    }
    byte[] secret = Files.readAllBytes(file);
    if (secret.length < 32) throw new IOException(file + " is damaged: delete it to make a new one");
    return secret;
  }
}
