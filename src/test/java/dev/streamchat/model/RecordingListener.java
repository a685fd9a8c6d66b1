package dev.streamchat.model;

/** A listener that keeps what a parser told it. */
public final class RecordingListener implements StreamListener {
  public final StringBuilder text = new StringBuilder();
  public final StringBuilder reasoning = new StringBuilder();
  public int parts;
  public long promptTokens = -2;
  public long completionTokens = -2;
  public FinishReason finishReason;
  public Failure failure;

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
  public void onComplete(FinishReason reason, Usage usage) {
    finishReason = reason;
    promptTokens = usage.promptTokens();
    completionTokens = usage.completionTokens();
  }

  @Override
  public void onFailure(Failure f) {
    failure = f;
  }
}
