package dev.streamchat.web;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.Conversation;
import dev.streamchat.chat.HistoryWindow;
import dev.streamchat.chat.Message;
import dev.streamchat.chat.Problem;
import dev.streamchat.model.ModelInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat page and the htmx fragments it asks for. A page render shows a running answer's text
 * so far and connects its stream after the last chunk rendered. A conversation opens on its
 * latest {@value #HISTORY_PAGE} messages; older ones come in pages as the person scrolls up.
 */
final class PageRoutes {

  private static final int SIDEBAR_LIMIT = 200;
  static final int HISTORY_PAGE = 20;

  private final Vertx vertx;
  private final ChatService chat;
  private final Views views;
  private final Csrf csrf;

  PageRoutes(Vertx vertx, ChatService chat, Views views, Csrf csrf) {
    this.vertx = vertx;
    this.chat = chat;
    this.views = views;
    this.csrf = csrf;
  }

  void mount(Router router) {
    router.get("/").handler(this::home);
    router.get("/c/:id").handler(this::conversationPage);
    router.get("/c/:id/older").handler(this::olderMessages);
    router.get("/c/:id/rename").handler(this::renameForm);
    router.post("/c/:id/title").handler(this::rename);
    router.delete("/c/:id").handler(this::delete);
    router.post("/chat").handler(this::startChat);
    router.post("/c/:id/messages").handler(this::sendMessage);
    router.post("/c/:id/retry").handler(this::retry);
    router.post("/c/:id/m/:mid/edit").handler(this::edit);
    router.post("/g/:gid/stop").handler(this::stop);
    router.post("/g/:gid/regenerate").handler(this::regenerate);
    router.post("/g/:gid/continue").handler(this::continueAnswer);
    router.get("/g/:gid/stream").handler(this::stream);
  }

  private void home(RoutingContext ctx) {
    renderPage(ctx, null, List.of(), null);
  }

  private void conversationPage(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    chat.conversation(owner, ctx.pathParam("id"))
        .compose(c -> latest(owner, c).onSuccess(h -> renderPage(ctx, c, h.messages, h.olderUrl)))
        .onFailure(ctx::fail);
  }

  /** A page of messages and, when there are older ones, where to fetch them. */
  private record History(List<MessageView> messages, String olderUrl) {
    Map<String, Object> vars() {
      Map<String, Object> vars = new HashMap<>();
      vars.put("messages", messages);
      vars.put("olderUrl", olderUrl);
      return vars;
    }
  }

  /** The latest page of a conversation; its last message is the conversation's last. */
  private Future<History> latest(String owner, Conversation c) {
    return page(owner, c, Integer.MAX_VALUE, true);
  }

  private Future<History> page(String owner, Conversation c, int beforeSeq, boolean newest) {
    return chat.store().messagesBefore(c.id(), beforeSeq, HISTORY_PAGE).compose(ms -> views(owner, ms, newest)
        .map(list -> new History(list, ms.isEmpty() || ms.get(0).seq() <= 1 ? null
            : "/c/" + c.id() + "/older?before=" + ms.get(0).seq())));
  }

  private void olderMessages(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    int before;
    try {
      before = Integer.parseInt(ctx.request().getParam("before", ""));
    } catch (NumberFormatException e) {
      ctx.fail(Problem.badRequest("before must be a message number."));
      return;
    }
    chat.conversation(owner, ctx.pathParam("id"))
        .compose(c -> page(owner, c, before, false))
        .onSuccess(h -> html(ctx, 200, views.fragment(Views.CHAT, "history", h.vars())))
        .onFailure(ctx::fail);
  }

  private Future<List<MessageView>> views(String owner, List<Message> messages, boolean newest) {
    List<Future<MessageView>> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      Message m = messages.get(i);
      boolean trimmed = m.isAssistant() && historyTrimmed(messages, i);
      boolean last = newest && i == messages.size() - 1;
      if (!m.isAssistant()) {
        out.add(Future.succeededFuture(MessageView.user(m)));
      } else if ("running".equals(m.state())) {
        out.add(chat.answer(owner, m.generationId()).map(MessageView::answer)
            .otherwise(MessageView.saved(m)).map(v -> v.withContext(trimmed, last)));
      } else {
        out.add(Future.succeededFuture(MessageView.saved(m).withContext(trimmed, last)));
      }
    }
    return Future.all(out).map(all -> all.list());
  }

  /**
   * Whether the answer at {@code index} was asked with older turns left out (by today's budget,
   * counting the messages given: a page of the newest ones undercounts a very long conversation).
   */
  private boolean historyTrimmed(List<Message> messages, int index) {
    return chat.history().fit(HistoryWindow.turns(messages.subList(0, index))).dropped() > 0;
  }

  private void renderPage(RoutingContext ctx, Conversation conversation, List<MessageView> messages, String olderUrl) {
    chat.store().conversations(Sessions.owner(ctx), SIDEBAR_LIMIT).map(sidebar -> {
      List<ModelInfo> models = chat.models().models();
      String selected = conversation != null && chat.models().resolve(conversation.model()).isPresent()
          ? conversation.model() : chat.models().defaultModel();
      Map<String, Object> vars = new HashMap<>();
      vars.put("conversation", conversation);
      vars.put("conversations", sidebar);
      vars.put("messages", messages);
      vars.put("olderUrl", olderUrl);
      vars.put("models", models);
      vars.put("selectedModel", selected);
      vars.put("demoOnly", chat.models().demoOnly());
      vars.put("csrf", csrf.token(Sessions.owner(ctx)));
      return views.page(Views.CHAT, vars);
    }).onSuccess(page -> html(ctx, 200, page)).onFailure(ctx::fail);
  }

  private void renameForm(RoutingContext ctx) {
    chat.conversation(Sessions.owner(ctx), ctx.pathParam("id"))
        .onSuccess(c -> html(ctx, 200, views.fragment(Views.CHAT, "renameForm", Map.of("c", c))))
        .onFailure(ctx::fail);
  }

  /** Answers the sidebar row, and the page heading too when the renamed conversation is open. */
  private void rename(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    chat.rename(Sessions.owner(ctx), id, ctx.request().getFormAttribute("title"))
        .onSuccess(c -> {
          boolean open = isOpen(ctx, id);
          String row = views.fragment(Views.CHAT, "conv", Map.of("c", c, "current", open));
          html(ctx, 200, open ? row + views.fragment(Views.CHAT, "heading", Map.of("conversation", c, "oob", true)) : row);
        })
        .onFailure(ctx::fail);
  }

  /** Removes the sidebar row; deleting the open conversation goes to a new chat. */
  private void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    chat.delete(Sessions.owner(ctx), id).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else if (!ar.result()) ctx.fail(Problem.notFound("conversation"));
      else if (isOpen(ctx, id)) redirect(ctx, "/");
      else html(ctx, 200, "");
    });
  }

  /** True when the htmx request comes from the page of that conversation. */
  private static boolean isOpen(RoutingContext ctx, String conversationId) {
    String current = ctx.request().getHeader("HX-Current-URL");
    if (current == null) return false;
    try {
      return ("/c/" + conversationId).equals(URI.create(current).getPath());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The first message of a new chat: make the conversation, then show its page. */
  private void startChat(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    String content = ctx.request().getFormAttribute("content");
    String model = blankToNull(ctx.request().getFormAttribute("model"));
    chat.create(owner, null)
        .compose(c -> chat.send(owner, c.id(), content, model, null)
            .recover(err -> chat.store().deleteConversation(owner, c.id()).transform(v -> Future.failedFuture(err)))
            .map(gid -> c))
        .onSuccess(c -> redirect(ctx, "/c/" + c.id()))
        .onFailure(ctx::fail);
  }

  /** Answers the person's message and the answer that has started, as two fragments. */
  private void sendMessage(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    String id = ctx.pathParam("id");
    String content = ctx.request().getFormAttribute("content");
    String model = blankToNull(ctx.request().getFormAttribute("model"));
    chat.send(owner, id, content, model, null)
        .compose(gid -> chat.store().messages(id))
        .compose(all -> views(owner, all, true).map(vs -> vs.subList(vs.size() - 2, vs.size())))
        .map(exchange -> views.fragment(Views.CHAT, "user", Map.of("m", exchange.get(0)))
            + views.fragment(Views.CHAT, "assistant", Map.of("m", exchange.get(1))))
        .onSuccess(fragments -> {
          if (isHtmx(ctx)) html(ctx, 200, fragments);
          else redirect(ctx, "/c/" + id);
        })
        .onFailure(ctx::fail);
  }

  /** The Retry button of a failed answer: the last message is sent again, then the page shows it. */
  private void retry(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    chat.retry(Sessions.owner(ctx), id)
        .onSuccess(gid -> redirect(ctx, "/c/" + id))
        .onFailure(ctx::fail);
  }

  /** Edits a message and answers it again; the page gets its history from there on, re-rendered. */
  private void edit(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    String id = ctx.pathParam("id");
    chat.edit(owner, id, ctx.pathParam("mid"), ctx.request().getFormAttribute("content"),
            blankToNull(ctx.request().getFormAttribute("model")))
        .compose(gid -> chat.conversation(owner, id))
        .compose(c -> latest(owner, c))
        .onSuccess(h -> {
          if (isHtmx(ctx)) html(ctx, 200, views.fragment(Views.CHAT, "history", h.vars()));
          else redirect(ctx, "/c/" + id);
        })
        .onFailure(ctx::fail);
  }

  private void regenerate(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    answerAgain(ctx, chat.regenerate(owner, ctx.pathParam("gid"), null, null));
  }

  private void continueAnswer(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    answerAgain(ctx, chat.continueAnswer(owner, ctx.pathParam("gid"), null));
  }

  /** Answers the new generation's message fragment, which takes the old answer's place. */
  private void answerAgain(RoutingContext ctx, Future<String> generation) {
    generation.compose(gid -> chat.answer(Sessions.owner(ctx), gid))
        .map(answer -> views.fragment(Views.CHAT, "assistant", Map.of("m", MessageView.answer(answer))))
        .onSuccess(fragment -> html(ctx, 200, fragment))
        .onFailure(ctx::fail);
  }

  private void stop(RoutingContext ctx) {
    chat.stop(Sessions.owner(ctx), ctx.pathParam("gid"))
        .onSuccess(state -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void stream(RoutingContext ctx) {
    long cursor = Http.cursor(ctx);
    String gid = ctx.pathParam("gid");
    chat.generation(Sessions.owner(ctx), gid).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else SseStream.serve(vertx, ctx, chat.quotas(), ar.result(), cursor, views.pageEvents());
    });
  }

  static boolean isHtmx(RoutingContext ctx) {
    return "true".equals(ctx.request().getHeader("HX-Request"));
  }

  private static void redirect(RoutingContext ctx, String path) {
    if (isHtmx(ctx)) {
      ctx.response().putHeader("HX-Redirect", path).setStatusCode(204).end();
    } else {
      ctx.response().putHeader("Location", path).setStatusCode(303).end();
    }
  }

  static void html(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "text/html; charset=utf-8").end(body);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
