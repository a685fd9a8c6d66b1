package dev.streamchat.web;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.Conversation;
import dev.streamchat.chat.Message;
import dev.streamchat.chat.Problem;
import dev.streamchat.json.RequestedFormat;
import dev.streamchat.model.ResponseFormat;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/** The JSON and SSE API of shared/API.md. */
final class ApiRoutes {

  private static final int LIST_LIMIT = 500;

  private final Vertx vertx;
  private final ChatService chat;

  ApiRoutes(Vertx vertx, ChatService chat) {
    this.vertx = vertx;
    this.chat = chat;
  }

  void mount(Router router) {
    router.get("/api/models").handler(this::models);
    router.post("/api/conversations").handler(this::createConversation);
    router.get("/api/conversations").handler(this::listConversations);
    router.get("/api/conversations/:id").handler(this::getConversation);
    router.patch("/api/conversations/:id").handler(this::renameConversation);
    router.delete("/api/conversations/:id").handler(this::deleteConversation);
    router.put("/api/conversations/:id/messages/:mid").handler(this::editMessage);
    router.post("/api/generations/:gid/regenerate").handler(this::regenerate);
    router.post("/api/generations/:gid/continue").handler(this::continueAnswer);
    router.post("/api/conversations/:id/messages").handler(this::postMessage);
    router.post("/api/conversations/:id/retry").handler(this::retry);
    router.get("/api/generations/:gid").handler(this::getGeneration);
    router.get("/api/generations/:gid/events").handler(this::events);
    router.post("/api/generations/:gid/stop").handler(this::stop);
  }

  private void models(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    chat.models().models().forEach(m ->
        out.add(new JsonObject().put("id", m.id()).put("provider", m.provider()).put("name", m.name())));
    Http.json(ctx, 200, out);
  }

  private void createConversation(RoutingContext ctx) {
    String title = Http.string(Http.jsonBody(ctx), "title");
    reply(ctx, chat.create(Sessions.owner(ctx), title), 201, c -> new JsonObject().put("id", c.id()));
  }

  private void listConversations(RoutingContext ctx) {
    reply(ctx, chat.store().conversations(Sessions.owner(ctx), LIST_LIMIT), 200, list -> {
      JsonArray out = new JsonArray();
      list.forEach(c -> out.add(summary(c)));
      return out;
    });
  }

  /** The whole conversation, or with {@code ?limit=N[&before=SEQ]} the latest N messages before SEQ. */
  private void getConversation(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    Integer limit = queryNumber(ctx, "limit");
    Integer before = queryNumber(ctx, "before");
    Future<JsonObject> result = chat.conversation(owner, ctx.pathParam("id")).compose(c ->
        (limit == null && before == null ? chat.store().messages(c.id())
            : chat.store().messagesBefore(c.id(), before == null ? Integer.MAX_VALUE : before,
                limit == null ? LIST_LIMIT : Math.min(limit, LIST_LIMIT)))
            .compose(messages -> withLiveText(owner, messages)).map(messages -> {
          JsonArray list = new JsonArray();
          messages.forEach(list::add);
          return summary(c).put("messages", list);
        }));
    reply(ctx, result, 200, o -> o);
  }

  /** Messages as JSON; a running answer's content is read from its live log. */
  private Future<List<JsonObject>> withLiveText(String owner, List<Message> messages) {
    List<Future<JsonObject>> out = new ArrayList<>();
    for (Message m : messages) {
      JsonObject o = new JsonObject().put("id", m.id()).put("seq", m.seq()).put("role", m.role())
          .put("content", m.content());
      if (m.generationId() != null) o.put("generationId", m.generationId()).put("state", m.state());
      if (m.error() != null) o.put("error", m.error());
      if (m.responseFormat() != null) o.put("responseFormat", m.responseFormat().toJson());
      if ("running".equals(m.state())) {
        out.add(chat.answer(owner, m.generationId())
            .map(a -> o.put("content", a.text()).put("state", a.status().state().wire()))
            .otherwise(o));
      } else {
        out.add(Future.succeededFuture(o));
      }
    }
    return Future.all(out).map(all -> all.list());
  }

  private static Integer queryNumber(RoutingContext ctx, String name) {
    String raw = ctx.request().getParam(name);
    if (raw == null || raw.isBlank()) return null;
    try {
      int n = Integer.parseInt(raw.strip());
      if (n < 1) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw Problem.badRequest(name + " must be a whole number of 1 or more.");
    }
  }

  private void renameConversation(RoutingContext ctx) {
    String title = Http.string(Http.jsonBody(ctx), "title");
    reply(ctx, chat.rename(Sessions.owner(ctx), ctx.pathParam("id"), title), 200, ApiRoutes::summary);
  }

  private void editMessage(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    started(ctx, chat.edit(Sessions.owner(ctx), ctx.pathParam("id"), ctx.pathParam("mid"),
        Http.string(body, "content"), Http.string(body, "model")));
  }

  private void regenerate(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    started(ctx, chat.regenerate(Sessions.owner(ctx), ctx.pathParam("gid"), Http.string(body, "model"),
        Http.integer(body, "maxTokens")));
  }

  private void continueAnswer(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    started(ctx, chat.continueAnswer(Sessions.owner(ctx), ctx.pathParam("gid"), Http.integer(body, "maxTokens")));
  }

  /** 202 with the new generation and its event stream. */
  private static void started(RoutingContext ctx, Future<String> generation) {
    reply(ctx, generation, 202, gid -> new JsonObject().put("generationId", gid)
        .put("events", "/api/generations/" + gid + "/events"));
  }

  private void deleteConversation(RoutingContext ctx) {
    chat.delete(Sessions.owner(ctx), ctx.pathParam("id")).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else if (!ar.result()) ctx.fail(Problem.notFound("conversation"));
      else ctx.response().setStatusCode(204).end();
    });
  }

  private void postMessage(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    ResponseFormat format;
    try {
      format = RequestedFormat.read(body.getValue("responseFormat"));
    } catch (IllegalArgumentException e) {
      ctx.fail(Problem.badRequest(e.getMessage()));
      return;
    }
    Future<String> sent = chat.send(Sessions.owner(ctx), ctx.pathParam("id"), Http.string(body, "content"),
        Http.string(body, "model"), Http.integer(body, "maxTokens"), format);
    started(ctx, sent);
  }

  /** Sends the conversation's last message again as a new answer (after a failed one). */
  private void retry(RoutingContext ctx) {
    reply(ctx, chat.retry(Sessions.owner(ctx), ctx.pathParam("id")), 202, gid -> new JsonObject()
        .put("generationId", gid).put("events", "/api/generations/" + gid + "/events"));
  }

  private void getGeneration(RoutingContext ctx) {
    reply(ctx, chat.answer(Sessions.owner(ctx), ctx.pathParam("gid")), 200, a -> {
      GenerationStatus s = a.status();
      JsonObject o = new JsonObject().put("id", s.id()).put("conversationId", s.info().conversationId())
          .put("model", s.info().model()).put("state", s.state().wire()).put("text", a.text())
          .put("chunks", s.lastSeq()).put("startedAt", s.info().startedAt());
      if (s.ttftMs() >= 0) o.put("ttftMs", s.ttftMs());
      if (s.ended()) o.put("endedAt", s.endedAt());
      if (s.finishReason() != null) o.put("finishReason", s.finishReason().wire());
      if (!a.reasoning().isEmpty()) o.put("reasoning", a.reasoning());
      if (s.error() != null) o.put("error", s.error());
      if (s.info().responseFormat() != null && s.state() == GenerationState.DONE) {
        o.put("json", Json.decodeValue(a.text())); // a done JSON answer was checked valid at its end
      }
      return o;
    });
  }

  private void events(RoutingContext ctx) {
    long cursor = Http.cursor(ctx);
    chat.generation(Sessions.owner(ctx), ctx.pathParam("gid")).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else SseStream.serve(vertx, ctx, chat.quotas(), ar.result(), cursor,
          ar.result().info().responseFormat() != null ? EventFormat.JSON_ANSWER : EventFormat.JSON);
    });
  }

  private void stop(RoutingContext ctx) {
    reply(ctx, chat.stop(Sessions.owner(ctx), ctx.pathParam("gid")), 200,
        state -> new JsonObject().put("state", state.wire()));
  }

  static JsonObject summary(Conversation c) {
    return new JsonObject().put("id", c.id()).put("title", c.title()).put("model", c.model())
        .put("updatedAt", c.updatedAt());
  }

  /** Ends the request with the future's value as JSON, or hands its failure to the error handler. */
  static <T> void reply(RoutingContext ctx, Future<T> future, int status, java.util.function.Function<T, Object> body) {
    future.map(body).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else Http.json(ctx, status, ar.result());
    });
  }
}
