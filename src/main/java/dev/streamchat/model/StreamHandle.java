package dev.streamchat.model;

/** Stops a running stream; after it returns the listener gets nothing more of substance. */
@FunctionalInterface
public interface StreamHandle {
  void cancel();
}
