package dev.streamchat.ops;

import dev.streamchat.chat.ChatService;
import dev.streamchat.filter.FilterMetrics;
import dev.streamchat.stream.StreamStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** What the admin page, the admin API, /metrics and /health work from, made once per process. */
public record Operations(
    AdminAccess access,
    ChatService chat,
    StreamStore streams,
    Viewers viewers,
    EndedGenerations ended,
    Health health,
    PrometheusMeterRegistry registry,
    FilterMetrics filters) {
}
