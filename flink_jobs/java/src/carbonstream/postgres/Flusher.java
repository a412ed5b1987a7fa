package carbonstream.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.postgresql.copy.CopyIn;

/**
 * One PostgreSQL connection and the thread that writes on it, for a sink writer: at most one write in
 * flight (the task goes on buffering meanwhile; {@link #await} waits for it and fails the task with
 * its error). A write is one transaction; a failed one is rolled back (the connection is dropped) and
 * retried on a fresh connection, after {@code maxRetries} retries the error fails the job, which
 * restarts from its last checkpoint.
 */
final class Flusher implements AutoCloseable {

    /** A write against PostgreSQL, in the connection's transaction (committed by the flusher). */
    interface Work {
        void run(java.sql.Connection db) throws SQLException;
    }

    private final CopyWriting.Connection connection;
    private final int maxRetries;
    private final List<String> setupSql;
    private final ExecutorService thread;
    private Future<?> inFlight;
    private java.sql.Connection db;  // used by the flusher thread only

    /** {@code setupSql}: run once on each new connection (e.g. creating the session's staging tables). */
    Flusher(String threadName, CopyWriting writing, List<String> setupSql) {
        this.connection = writing.connection();
        this.maxRetries = writing.maxRetries();
        this.setupSql = List.copyOf(setupSql);
        this.thread = Executors.newSingleThreadExecutor(task -> {
            Thread flusher = new Thread(task, threadName);
            flusher.setDaemon(true);
            return flusher;
        });
    }

    /** Runs {@code action} on the task's thread every {@code intervalMs} (a writer's flush timer). */
    static void every(ProcessingTimeService timers, long intervalMs, ProcessingTimeService.ProcessingTimeCallback action) {
        timers.registerTimer(timers.getCurrentProcessingTime() + intervalMs, time -> {
            action.onProcessingTime(time);
            every(timers, intervalMs, action);
        });
    }

    /**
     * Sends the COPY text gathered in {@code chunk} (whole lines) and empties it. (Here, not on a sink
     * class: a CopyIn in a serialized class's method signatures would make Java serialization load the
     * driver's classes wherever the job graph is serialized.)
     */
    static void send(CopyIn copy, StringBuilder chunk) throws SQLException {
        byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
        copy.writeToCopy(bytes, 0, bytes.length);
        chunk.setLength(0);
    }

    /** Starts {@code work} on the flusher thread, after the write in flight (if any) has finished. */
    void submit(String what, Work work) throws IOException, InterruptedException {
        await();
        inFlight = thread.submit(() -> {
            writeWithRetries(what, work);
            return null;
        });
    }

    /** Whether a write is still running (a finished one, even failed, is not: {@link #await} reports it). */
    boolean busy() {
        return inFlight != null && !inFlight.isDone();
    }

    /** Waits for the write in flight, if any; its failure fails the task here. */
    void await() throws IOException, InterruptedException {
        if (inFlight == null) {
            return;
        }
        try {
            inFlight.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            inFlight = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        thread.shutdownNow();
        thread.awaitTermination(10, TimeUnit.SECONDS);
        closeConnection();
    }

    private void writeWithRetries(String what, Work work) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                openConnection();
                work.run(db);
                db.commit();
                return;
            } catch (SQLException e) {
                closeConnection();
                if (attempt >= maxRetries) {
                    throw new IOException("postgres-copy " + what + " failed " + (attempt + 1) + " times", e);
                }
                Thread.sleep(1000L * (attempt + 1));
            }
        }
    }

    private void openConnection() throws SQLException {
        if (db == null) {
            db = connection.open();
            db.setAutoCommit(false);
            try (Statement statement = db.createStatement()) {
                for (String sql : setupSql) {
                    statement.execute(sql);
                }
            }
            db.commit();
        }
    }

    private void closeConnection() {
        CopyWriting.Connection.close(db);
        db = null;
    }
}
