package dev.streamchat.stream;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Event-bus codecs that hand the same immutable object to every local consumer: no copy, no
 * encoding. They cannot cross a cluster; a clustered bus needs wire codecs for these types.
 */
public final class LocalCodecs {

  private LocalCodecs() {
  }

  /** Registers the live path's message types once per Vert.x instance. */
  public static synchronized void register(Vertx vertx) {
    register(vertx, LiveEvent.class);
    register(vertx, GenerationRequest.class);
    register(vertx, GenerationStatus.class);
  }

  private static <T> void register(Vertx vertx, Class<T> type) {
    try {
      vertx.eventBus().registerDefaultCodec(type, new Local<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // another App on the same Vert.x (tests) did it
    }
  }

  private record Local<T>(Class<T> type) implements MessageCodec<T, T> {
    @Override
    public void encodeToWire(Buffer buffer, T t) {
      throw new UnsupportedOperationException(type.getSimpleName() + " travels on the local event bus only");
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException(type.getSimpleName() + " travels on the local event bus only");
    }

    @Override
    public T transform(T t) {
      return t;
    }

    @Override
    public String name() {
      return "local-" + type.getName();
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
