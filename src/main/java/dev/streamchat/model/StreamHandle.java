package dev.streamchat.model;

/**
 * Controls a running stream. After {@link #cancel()} returns the listener gets nothing more of
 * substance. {@link #pause()} asks the provider to stop reading (the consumer is behind) until
 * {@link #resume()}; a provider that cannot pause ignores both.
 */
@FunctionalInterface
public interface StreamHandle {
  void cancel();

  default void pause() {
  }

  default void resume() {
  }
}
