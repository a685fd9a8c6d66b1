package dev.streamchat.model;

/** A listener that keeps what a parser told it. */
public final class RecordingListener implements StreamListener {
  public final StringBuilder text = new StringBuilder();
  public final StringBuilder reasoning = new StringBuilder();
  public int parts;
  public long promptTokens = -2;
  public long completionTokens = -2;

  @Override
  public void onText(String t) {
    text.append(t);
    parts++;
  }

  @Override
  public void onReasoning(String t) {
    reasoning.append(t);
    parts++;
  }

  @Override
  public void onUsage(long prompt, long completion) {
    promptTokens = prompt;
    completionTokens = completion;
  }

  @Override
  public void onComplete() {
  }

  @Override
  public void onError(String message) {
  }
}
