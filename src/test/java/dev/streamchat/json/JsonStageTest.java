package dev.streamchat.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.RecordingListener;
import dev.streamchat.model.ResponseFormat;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.Upstream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A JSON answer is judged whole: one taken over from a stopped instance includes what it had written. */
class JsonStageTest {

  private static final Upstream NO_MODEL = new Upstream() {
    @Override
    public void cancel() {
    }

    @Override
    public void pause() {
    }

    @Override
    public void resume() {
    }
  };

  private static RecordingListener run(GenerationRequest.Resume resume, String continuation) {
    GenerationInfo info = new GenerationInfo("g", "c", "o", "demo", 0, ResponseFormat.jsonObject());
    GenerationRequest request = new GenerationRequest(info, List.of(), 0, "", resume);
    RecordingListener next = new RecordingListener();
    StreamListener stage = new JsonStage().wrap(request, next, NO_MODEL);
    stage.onText(continuation);
    stage.onComplete(FinishReason.STOP, Usage.UNKNOWN);
    return next;
  }

  @Test
  void aTakenOverAnswerIsParsedFromItsLoggedBeginning() {
    RecordingListener next = run(new GenerationRequest.Resume(3, 9, "{\"city\": "), "\"Rome\"}");
    assertNull(next.failure, () -> "valid as a whole: " + next.failure);
    assertEquals(FinishReason.STOP, next.finishReason);
    assertEquals("\"Rome\"}", next.text.toString(), "only the continuation goes on: the beginning is logged already");
  }

  @Test
  void theContinuationAloneWouldNotBeJson() {
    RecordingListener next = run(null, "\"Rome\"}");
    assertNotNull(next.failure);
    assertTrue(next.failure.message().contains("not valid JSON"), next.failure.message());
  }
}
