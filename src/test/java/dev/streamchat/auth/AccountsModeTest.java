package dev.streamchat.auth;

import static dev.streamchat.auth.Auth.PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** STREAMCHAT_AUTH=accounts with STREAMCHAT_SIGNUP=invite: nothing without signing in; the forms work without script. */
class AccountsModeTest {

  private static final String ADMIN = "admin-token-for-accounts-mode";
  /**
   * Reachable without signing in: the sign-in pages and their API (health, static, admin are
   * exempt by path; /favicon.ico is the static favicon.svg under the name browsers ask for).
   */
  private static final Set<String> SIGN_IN = Set.of("/signin", "/signup", "/api/auth/login", "/api/auth/signup");
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_AUTH", "accounts", "STREAMCHAT_SIGNUP", "invite",
        "STREAMCHAT_ADMIN_TOKEN", ADMIN));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void everyPageAndApiRouteButSignInHealthAndStaticAsksForSignIn() {
    int checked = 0;
    for (Route route : server.app().routes()) {
      String path = route.getPath();
      if (path == null || exempt(path)) continue;
      Set<HttpMethod> methods = route.methods() == null || route.methods().isEmpty() ? Set.of(HttpMethod.GET) : route.methods();
      String concrete = path.replaceAll(":[A-Za-z]+", "x").replace("*", "x");
      for (HttpMethod method : methods) {
        ApiClient stranger = server.client();
        HttpResponse<String> r = stranger.sendRaw(HttpRequest.newBuilder(URI.create(server.url(concrete)))
            .header("Content-Type", "application/json")
            .method(method.name(), method == HttpMethod.GET ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString("{}")));
        String what = method + " " + path + " -> " + r.statusCode() + " " + r.body();
        boolean page = method == HttpMethod.GET && !path.startsWith("/api/") && !path.endsWith("/stream");
        if (page) {
          assertEquals(303, r.statusCode(), what);
          assertEquals("/signin", r.headers().firstValue("Location").orElse(""), what);
        } else {
          assertEquals(401, r.statusCode(), what);
          if (path.startsWith("/api/") || path.endsWith("/stream")) {
            assertTrue(new JsonObject(r.body()).getString("error").contains("Sign in"), what);
          }
        }
        checked++;
      }
    }
    assertTrue(checked >= 30, "the router's routes were iterated: " + checked);
    System.out.printf("accounts mode: %d route and method pairs asked for sign-in%n", checked);

    ApiClient stranger = server.client();
    assertEquals(200, stranger.get("/health").status());
    assertEquals(200, stranger.get("/health/live").status());
    assertEquals(200, stranger.get("/static/app.css").status());
    assertEquals(200, stranger.get("/favicon.ico").status());
    assertEquals(200, stranger.get("/signin").status());
    assertEquals(200, stranger.get("/signup").status());
  }

  private static boolean exempt(String path) {
    return SIGN_IN.contains(path) || path.startsWith("/static/") || path.startsWith("/webjars/") || path.equals("/favicon.ico")
        || path.startsWith("/health") || path.equals("/metrics") || path.equals("/admin") || path.startsWith("/admin/")
        || path.startsWith("/api/admin/");
  }

  @Test
  void signUpNeedsAnInviteLinkWhichWorksOnce() {
    ApiClient c = server.client();
    ApiClient.Reply refused = Auth.signup(c, Auth.uniqueName("olga"), PASSWORD);
    assertEquals(403, refused.status(), refused.body());
    assertTrue(refused.json().getString("error").contains("invite"), refused.body());

    ApiClient.Reply invite = c.send(Auth.bearer(server, "/api/admin/invites", ADMIN).POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(201, invite.status(), invite.body());
    String url = invite.json().getString("url");
    assertTrue(url.matches("http://127\\.0\\.0\\.1:\\d+/signup\\?invite=[A-Za-z0-9_-]{43}"), url);
    String code = url.substring(url.indexOf("invite=") + 7);
    assertTrue(c.get("/signup?invite=" + code).body().contains("name=\"invite\""), "the link's page carries the invite");

    ApiClient.Reply made = c.post("/api/auth/signup", new JsonObject().put("username", Auth.uniqueName("olga"))
        .put("password", PASSWORD).put("invite", code));
    assertEquals(201, made.status(), made.body());
    assertEquals(200, c.get("/api/conversations").status(), "signed in by signing up");
    ApiClient.Reply again = server.client().post("/api/auth/signup", new JsonObject()
        .put("username", Auth.uniqueName("pete")).put("password", PASSWORD).put("invite", code));
    assertEquals(403, again.status(), "an invite is used once: " + again.body());
  }

  @Test
  void theFormsSignInShowTheAccountMakeATokenAndSignOutWithoutScript() {
    String name = Auth.uniqueName("quinn");
    String code = server.client().send(Auth.bearer(server, "/api/admin/invites", ADMIN)
        .POST(HttpRequest.BodyPublishers.noBody())).json().getString("url").replaceAll(".*invite=", "");
    ApiClient browser = server.client();
    String signupPage = browser.get("/signup?invite=" + code).body();
    HttpResponse<String> made = form(browser, "/signup", "csrf", csrf(signupPage), "invite", code,
        "username", name, "password", PASSWORD);
    assertEquals(303, made.statusCode(), made.body());
    assertEquals("/", made.headers().firstValue("Location").orElseThrow());
    assertTrue(browser.get("/").body().contains(">" + name + "</a>"), "the chat page links to the account");
    assertEquals(204, browser.post("/api/auth/logout", "{}").status());
    assertEquals(303, browser.sendRaw(HttpRequest.newBuilder(URI.create(server.url("/"))).GET()).statusCode());

    String signin = browser.get("/signin").body();
    HttpResponse<String> wrong = form(browser, "/signin", "csrf", csrf(signin), "username", name, "password", "not the password");
    assertEquals(401, wrong.statusCode());
    assertTrue(wrong.body().contains("Wrong username or password."), "the form says why");
    HttpResponse<String> noCsrf = form(browser, "/signin", "username", name, "password", PASSWORD);
    assertEquals(403, noCsrf.statusCode(), "the sign-in form needs its CSRF token (no login CSRF)");
    HttpResponse<String> in = form(browser, "/signin", "csrf", csrf(wrong.body()), "username", name, "password", PASSWORD);
    assertEquals(303, in.statusCode(), in.body());
    assertNotNull(Auth.sessionCookieSet(in), "a new session cookie");

    String account = browser.get("/account").body();
    assertTrue(account.contains("(this one)"), "the account page lists this session");
    HttpResponse<String> token = form(browser, "/account/tokens", "csrf", csrf(account), "name", "backup script");
    assertEquals(201, token.statusCode(), token.body());
    Matcher shown = Pattern.compile("<code id=\"new-token\">(sct_[A-Za-z0-9_-]+)</code>").matcher(token.body());
    assertTrue(shown.find(), "the new token is shown once");
    assertFalse(browser.get("/account").body().contains(shown.group(1)), "and never again");
    assertEquals(200, server.client().send(Auth.bearer(server, "/api/conversations", shown.group(1)).GET()).status());

    HttpResponse<String> out = form(browser, "/signout", "csrf", csrf(account));
    assertEquals(303, out.statusCode());
    assertEquals("/signin", out.headers().firstValue("Location").orElseThrow());
    assertEquals(401, browser.get("/api/auth/me").status());
  }

  @Test
  void theAdminPageListsUsersDisablesThemAndMakesInviteLinks() {
    ApiClient admin = server.client();
    HttpResponse<String> in = form(admin, "/admin/login", "token", ADMIN);
    assertEquals(303, in.statusCode());
    String made = admin.send(Auth.bearer(server, "/api/admin/invites", ADMIN).POST(HttpRequest.BodyPublishers.noBody()))
        .json().getString("url").replaceAll(".*invite=", "");
    String name = Auth.uniqueName("rita");
    ApiClient person = server.client();
    assertEquals(201, person.post("/api/auth/signup", new JsonObject().put("username", name).put("password", PASSWORD)
        .put("invite", made)).status());
    person.newConversation();
    String id = Auth.me(person).getString("id");

    String page = admin.get("/admin").body();
    Matcher row = Pattern.compile("<tr data-user=\"" + Pattern.quote(name) + "\">(.*?)</tr>", Pattern.DOTALL).matcher(page);
    assertTrue(row.find(), "the admin page lists the user");
    assertTrue(row.group(1).contains("<td class=\"num\">1</td>"), "with their conversation: " + row.group(1));
    assertTrue(row.group(1).contains("/admin/users/" + id + "/disable"), row.group(1));

    HttpResponse<String> disabled = form(admin, "/admin/users/" + id + "/disable");
    assertEquals(303, disabled.statusCode(), disabled.body());
    assertEquals(401, person.get("/api/conversations").status(), "their session stopped");
    assertTrue(admin.get("/admin").body().contains("/admin/users/" + id + "/enable"), "now offered Enable");

    HttpResponse<String> invite = form(admin, "/admin/invites");
    assertEquals(201, invite.statusCode());
    assertTrue(invite.body().matches("(?s).*<code id=\"invite-link\">http://127\\.0\\.0\\.1:\\d+/signup\\?invite=[A-Za-z0-9_-]{43}</code>.*"),
        "the new invite link is shown");
    assertEquals(401, server.client().sendRaw(HttpRequest.newBuilder(URI.create(server.url("/admin/invites")))
        .POST(HttpRequest.BodyPublishers.noBody())).statusCode(), "only for the admin");
    assertEquals(401, person.send(Auth.bearer(server, "/api/admin/users", "sct_not-the-admin").GET()).status());
  }

  private static String csrf(String page) {
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
    assertTrue(m.find(), "a CSRF field in the page");
    return m.group(1);
  }

  private static HttpResponse<String> form(ApiClient client, String path, String... fields) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < fields.length; i += 2) {
      if (body.length() > 0) body.append('&');
      body.append(fields[i]).append('=').append(URLEncoder.encode(fields[i + 1], StandardCharsets.UTF_8));
    }
    return client.sendRaw(HttpRequest.newBuilder(URI.create(server.url(path)))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

}
