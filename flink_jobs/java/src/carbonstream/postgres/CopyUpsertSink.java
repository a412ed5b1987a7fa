package carbonstream.postgres;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.RowKind;
import org.postgresql.Driver;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The runtime side of {@link PostgresCopySinkFactory}: one writer (and one connection) per subtask.
 * Delta sinks keep their last flush's number as writer state and prune {@link DeltaLedger} from
 * the committer; upsert sinks have no state and nothing to commit.
 */
final class CopyUpsertSink implements Sink<RowData>, SupportsWriterState<RowData, DeltaLedger.FlushedUpTo>,
        SupportsCommitter<DeltaLedger.FlushedUpTo> {

    private static final long serialVersionUID = 1L;

    /** Where to connect (through PostgreSQL's driver directly: DriverManager misses drivers in the job's class loader). */
    record Connection(String url, String username, String password) implements Serializable {
        java.sql.Connection open() throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("user", username);
            properties.setProperty("password", password);
            java.sql.Connection db = new Driver().connect(url, properties);
            if (db == null) {
                throw new SQLException("postgres-copy: not a PostgreSQL JDBC URL: " + url);
            }
            return db;
        }

        /** Closes {@code db} if open; a failure is ignored: the connection is being replaced or the job is closing. */
        static void close(java.sql.Connection db) {
            if (db != null) {
                try {
                    db.close();
                } catch (SQLException ignored) {
                    // nothing to save
                }
            }
        }
    }

    /**
     * How the writers connect, buffer and retry (the factory's options). {@code deltaRoles} (from
     * {@link CopyTable#deltaRoles}, null for an upsert sink) make a delta sink: rows are merged per key
     * and added to the table's rows ({@link DeltaBuffer}).
     */
    record Options(Connection connection, int maxRows, long intervalMs, int maxRetries, boolean insertFirst,
            DeltaBuffer.Role[] deltaRoles) implements Serializable {
        boolean delta() {
            return deltaRoles != null;
        }
    }

    /** COPYs {@code text} (whole COPY lines) with {@code copySql}, in the connection's transaction. */
    static void copyText(java.sql.Connection db, String copySql, String text) throws SQLException {
        CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        copy.writeToCopy(bytes, 0, bytes.length);
        copy.endCopy();
    }

    private static final String UNIQUE_VIOLATION = "23505";

    /** A step against PostgreSQL (run on the flusher thread). */
    private interface SqlStep {
        void run() throws SQLException;
    }

    private final CopyTable table;
    private final Options options;

    CopyUpsertSink(CopyTable table, Options options) {
        this.table = table;
        this.options = options;
    }

    @Override
    public Writer createWriter(WriterInitContext context) {
        return new Writer(context, null);
    }

    @Override
    public Writer restoreWriter(WriterInitContext context, Collection<DeltaLedger.FlushedUpTo> states) {
        int subtask = context.getTaskInfo().getIndexOfThisSubtask();
        Long restored = states.stream().filter(s -> s.subtask() == subtask && s.table().equals(table.name()))
                .map(DeltaLedger.FlushedUpTo::flushSeq).max(Long::compare).orElse(null);
        return new Writer(context, restored);
    }

    @Override
    public SimpleVersionedSerializer<DeltaLedger.FlushedUpTo> getWriterStateSerializer() {
        return new DeltaLedger.FlushedUpToSerializer();
    }

    @Override
    public Committer<DeltaLedger.FlushedUpTo> createCommitter(CommitterInitContext context) {
        return new DeltaLedger.Pruner(options.connection());
    }

    @Override
    public SimpleVersionedSerializer<DeltaLedger.FlushedUpTo> getCommittableSerializer() {
        return new DeltaLedger.FlushedUpToSerializer();
    }

    /**
     * Buffers the newest change per key (a COPY line, or {@link #DELETED}). A flush (periodic timer,
     * full buffer, checkpoint, end of input) hands the buffer to the writer's own thread, which writes
     * it in one transaction while the task goes on filling a new buffer; at most one flush is in
     * flight, and a checkpoint or the end of input waits for it, so every change before a checkpoint
     * is in PostgreSQL when the checkpoint completes. A flush writes deleted keys and rows COPYed into
     * the staging tables, then one DELETE and one upsert. With {@code insertFirst}, INSERT rows are
     * kept as a plain list while no other change arrives (an append-only table's flush needs no key)
     * and COPYed straight into the table; a flush that meets an existing key is keyed after all and
     * written as the upsert. A failed flush is rolled back and retried on a fresh connection; after
     * {@code maxRetries} the error fails the job, which restarts from its last checkpoint.
     */
    final class Writer implements StatefulSinkWriter<RowData, DeltaLedger.FlushedUpTo>,
            CommittingSinkWriter<RowData, DeltaLedger.FlushedUpTo> {

        private static final int CHUNK_BYTES = 1 << 16;
        private static final String DELETED = "";  // a deleted key; a line is never empty (it ends with a newline)

        private final ProcessingTimeService timers;
        private final ExecutorService flusher;
        private final int subtask;
        private Buffer buffer = new Buffer(16);
        private DeltaBuffer deltas;
        private long flushSeq;  // the last delta flush written (delta sinks)
        private Future<?> inFlight;
        private java.sql.Connection db;  // used by the flusher thread only

        /** {@code restoredSeq}: a delta sink's last flush in the checkpoint it resumes from, or null. */
        Writer(WriterInitContext context, Long restoredSeq) {
            this.timers = context.getProcessingTimeService();
            this.subtask = context.getTaskInfo().getIndexOfThisSubtask();
            this.flusher = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "postgres-copy " + table.name());
                thread.setDaemon(true);
                return thread;
            });
            if (options.delta()) {
                deltas = new DeltaBuffer(table, options.deltaRoles(), 16);
                inFlight = flusher.submit(() -> {  // before any flush: take back what the replay writes again
                    withRetries("taking back the flushes after the checkpoint", () -> {
                        openConnection();
                        flushSeq = DeltaLedger.revertAfter(db, table, options.deltaRoles(), subtask, restoredSeq);
                        db.commit();
                    });
                    return null;
                });
            }
            scheduleFlush();
        }

        @Override
        public void write(RowData row, Context context) throws IOException, InterruptedException {
            int size;
            if (deltas != null) {
                if (row.getRowKind() != RowKind.INSERT) {
                    throw new IOException("postgres-copy " + table.name() + ": a delta sink adds INSERT rows only, got "
                            + row.getRowKind() + " (its input must be append-only)");
                }
                deltas.add(row);
                size = deltas.size();
            } else {
                buffer.add(row);  // formatted now: the row object may be reused
                size = buffer.size();
            }
            if (size >= options.maxRows()) {
                startFlush();
            }
        }

        /** A delta sink's state: its last flush. (Called after {@link #flush}, which waits for that flush.) */
        @Override
        public List<DeltaLedger.FlushedUpTo> snapshotState(long checkpointId) {
            return deltas == null ? List.of() : List.of(flushedUpTo());
        }

        /** What the committer prunes once the checkpoint completes: the flushes up to the last one. */
        @Override
        public Collection<DeltaLedger.FlushedUpTo> prepareCommit() {
            return deltas == null || flushSeq <= 0 ? List.of() : List.of(flushedUpTo());
        }

        private DeltaLedger.FlushedUpTo flushedUpTo() {
            return new DeltaLedger.FlushedUpTo(table.name(), subtask, flushSeq);
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            startFlush();
            awaitFlush();
        }

        @Override
        public void close() throws Exception {
            flusher.shutdownNow();
            flusher.awaitTermination(10, TimeUnit.SECONDS);
            closeConnection();
        }

        private void scheduleFlush() {
            timers.registerTimer(timers.getCurrentProcessingTime() + options.intervalMs(), time -> {
                startFlush();
                scheduleFlush();
            });
        }

        /** Hands the buffer to the flusher thread (after the previous flush has finished). */
        private void startFlush() throws IOException, InterruptedException {
            awaitFlush();
            if (deltas != null) {
                startDeltaFlush();
                return;
            }
            if (buffer.size() == 0) {
                return;
            }
            Buffer full = buffer;
            buffer = new Buffer(full.size());  // sized like the last one: no rehashing while it fills
            inFlight = flusher.submit(() -> {
                writeWithRetries(full);
                return null;
            });
        }

        private void startDeltaFlush() {
            if (deltas.size() == 0) {
                return;
            }
            DeltaBuffer full = deltas;
            deltas = new DeltaBuffer(table, options.deltaRoles(), full.size());
            inFlight = flusher.submit(() -> {
                String lines = full.lines();
                withRetries("writing " + full.size() + " delta rows", () -> writeDeltas(lines));
                return null;
            });
        }

        /** One transaction: the deltas added to the table, and recorded in the ledger under the next number. */
        private void writeDeltas(String lines) throws SQLException {
            openConnection();
            copyText(db, table.copySql(), lines);
            try (Statement statement = db.createStatement()) {
                statement.executeUpdate(table.deltaUpsertSql(options.deltaRoles()));
            }
            DeltaLedger.record(db, table.name(), subtask, flushSeq + 1, lines);
            db.commit();
            flushSeq++;
        }

        /** Waits for the flush in flight, if any; its failure fails the task here. */
        private void awaitFlush() throws IOException, InterruptedException {
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

        private void writeWithRetries(Buffer full) throws IOException, InterruptedException {
            withRetries("writing " + full.size() + " rows", () -> writeBuffer(full));
        }

        /** One database step, retried on a fresh connection up to {@code maxRetries} times, then failed. */
        private void withRetries(String what, SqlStep step) throws IOException, InterruptedException {
            for (int attempt = 0; ; attempt++) {
                try {
                    step.run();
                    return;
                } catch (SQLException e) {
                    closeConnection();
                    if (attempt >= options.maxRetries()) {
                        throw new IOException("postgres-copy " + table.name() + ": " + what + " failed "
                                + (attempt + 1) + " times", e);
                    }
                    Thread.sleep(1000L * (attempt + 1));
                }
            }
        }

        private void openConnection() throws SQLException {
            if (db == null) {
                db = options.connection().open();
                db.setAutoCommit(false);
                try (Statement statement = db.createStatement()) {
                    for (String sql : table.createStageSql()) {
                        statement.execute(sql);
                    }
                }
                db.commit();
            }
        }

        private void writeBuffer(Buffer full) throws SQLException {
            openConnection();
            if (!full.insertedLines.isEmpty()) {  // insertFirst, and only INSERTs in this buffer
                if (insertedAll(full.insertedLines)) {
                    return;
                }
                full.keyInsertedLines();
            }
            StringBuilder deletedKeys = new StringBuilder();
            boolean upserts = copyLines(full.linesByKey, deletedKeys);
            boolean deletes = deletedKeys.length() > 0;
            if (deletes) {
                CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copyDeletedSql());
                send(copy, deletedKeys);
                copy.endCopy();
            }
            try (Statement statement = db.createStatement()) {
                if (deletes) {
                    statement.executeUpdate(table.deleteSql());
                }
                if (upserts) {
                    statement.executeUpdate(table.upsertSql());
                }
            }
            db.commit();
        }

        /** COPY the INSERT lines straight into the table and commit; false (rolled back) if a key already existed. */
        private boolean insertedAll(List<String> lines) throws SQLException {
            CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copyIntoTableSql());
            StringBuilder chunk = new StringBuilder(CHUNK_BYTES + 1024);
            try {
                for (String line : lines) {
                    chunk.append(line);
                    if (chunk.length() >= CHUNK_BYTES) {
                        send(copy, chunk);
                    }
                }
                send(copy, chunk);
                copy.endCopy();
            } catch (SQLException e) {
                if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw e;
                }
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
                db.rollback();
                return false;
            }
            db.commit();
            return true;
        }

        /**
         * One pass over the keyed lines: the rows COPYed into the staging table in chunks, the keys of
         * deleted rows collected as COPY lines into {@code deletedKeys}; false if no row was COPYed.
         * (On an error the caller drops the connection, which ends an unfinished COPY.)
         */
        private boolean copyLines(Map<String, String> linesByKey, StringBuilder deletedKeys) throws SQLException {
            CopyIn copy = null;
            StringBuilder chunk = new StringBuilder(CHUNK_BYTES + 1024);
            for (Map.Entry<String, String> entry : linesByKey.entrySet()) {
                if (entry.getValue().isEmpty()) {
                    deletedKeys.append(entry.getKey()).append('\n');
                    continue;
                }
                if (copy == null) {
                    copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copySql());
                }
                chunk.append(entry.getValue());
                if (chunk.length() >= CHUNK_BYTES) {
                    send(copy, chunk);
                }
            }
            if (copy == null) {
                return false;
            }
            send(copy, chunk);
            copy.endCopy();
            return true;
        }

        private void send(CopyIn copy, StringBuilder chunk) throws SQLException {
            byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            chunk.setLength(0);
        }

        private void closeConnection() {
            Connection.close(db);
            db = null;
        }

        /** The changes since the last flush: newest line per key, or (insertFirst) INSERT lines not yet keyed. */
        private final class Buffer {

            private final Map<String, String> linesByKey;
            private final List<String> insertedLines;

            Buffer(int expectedRows) {
                boolean listed = options.insertFirst();
                linesByKey = new HashMap<>(listed ? 16 : Math.max(16, expectedRows * 4 / 3 + 1));
                insertedLines = new ArrayList<>(listed ? Math.max(16, expectedRows) : 0);
            }

            void add(RowData row) {
                if (options.insertFirst() && row.getRowKind() == RowKind.INSERT && linesByKey.isEmpty()) {
                    insertedLines.add(table.line(row));
                    return;
                }
                keyInsertedLines();
                if (row.getRowKind() == RowKind.DELETE) {
                    linesByKey.put(table.key(row), DELETED);
                } else {
                    String line = table.line(row);
                    linesByKey.put(table.key(line), line);
                }
            }

            int size() {
                return linesByKey.size() + insertedLines.size();
            }

            /** The plain list of INSERT lines into the keyed map, in arrival order (a later line for a key wins). */
            void keyInsertedLines() {
                for (String line : insertedLines) {
                    linesByKey.put(table.key(line), line);
                }
                insertedLines.clear();
            }
        }
    }
}
