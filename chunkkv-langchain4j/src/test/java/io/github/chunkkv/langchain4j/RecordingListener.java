package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every listener event in the order it arrived (from any thread). */
public final class RecordingListener implements ChatModelListener {
    private final List<Object> events = new CopyOnWriteArrayList<>();

    @Override
    public void onRequest(ChatModelRequestContext context) {
        events.add(context);
    }

    @Override
    public void onResponse(ChatModelResponseContext context) {
        events.add(context);
    }

    @Override
    public void onError(ChatModelErrorContext context) {
        events.add(context);
    }

    /** The {@code index}-th event: a request, response or error context. */
    public Object get(int index) {
        return events.get(index);
    }

    /** How many events of {@code type} arrived. */
    public long count(Class<?> type) {
        return events.stream().filter(type::isInstance).count();
    }

    public void clear() {
        events.clear();
    }

    @Override
    public String toString() {
        return events.toString();
    }
}
