package carbonstream.postgres;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Exactly-once for delta sinks: table {@code copy_sink_ledger} (sql/005_copy_sink_ledger.sql) holds
 * each flush's delta rows, written in the flush's own transaction and numbered per (table, subtask).
 * The writer's checkpointed state is the number of its last flush. A writer restored from a
 * checkpoint first takes back (subtracts) the flushes numbered after it, because the job replays
 * their input; a writer started without state takes back every flush left in the ledger, because the
 * job then reads from the offsets Kafka committed at the last completed checkpoint. When a checkpoint
 * completes, the {@link Pruner} deletes the flushes it covers.
 */
final class DeltaLedger {

    private static final String TABLE = "copy_sink_ledger";

    private DeltaLedger() {
    }

    /** The flushes of (table, subtask) up to {@code flushSeq} are covered by a completed checkpoint. */
    record FlushedUpTo(String table, int subtask, long flushSeq) {
    }

    static void record(Connection db, String table, int subtask, long flushSeq, String lines) throws SQLException {
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO " + TABLE
                + " (table_name, subtask, flush_seq, delta_lines) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, table);
            insert.setInt(2, subtask);
            insert.setLong(3, flushSeq);
            insert.setString(4, lines);
            insert.executeUpdate();
        }
    }

    /**
     * Takes back the flushes of (table, subtask) numbered after {@code afterSeq} (all of them when
     * null) and deletes them from the ledger, in the caller's transaction; returns the number the
     * next flush follows (the highest kept, at least {@code afterSeq}).
     */
    static long revertAfter(Connection db, CopyTable table, DeltaBuffer.Role[] roles, int subtask, Long afterSeq)
            throws SQLException {
        long after = afterSeq == null ? Long.MIN_VALUE : afterSeq;
        List<String> flushes = new ArrayList<>();
        try (PreparedStatement select = db.prepareStatement("SELECT delta_lines FROM " + TABLE
                + " WHERE table_name = ? AND subtask = ? AND flush_seq > ? ORDER BY flush_seq")) {
            select.setString(1, table.name());
            select.setInt(2, subtask);
            select.setLong(3, after);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    flushes.add(rows.getString(1));
                }
            }
        }
        for (String lines : flushes) {
            CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copySql());
            byte[] bytes = lines.getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            copy.endCopy();
            try (Statement statement = db.createStatement()) {
                for (String sql : table.revertSql(roles)) {
                    statement.executeUpdate(sql);
                }
                statement.executeUpdate("TRUNCATE " + CopyTable.STAGE);
            }
        }
        try (PreparedStatement delete = db.prepareStatement("DELETE FROM " + TABLE
                + " WHERE table_name = ? AND subtask = ? AND flush_seq > ?")) {
            delete.setString(1, table.name());
            delete.setInt(2, subtask);
            delete.setLong(3, after);
            delete.executeUpdate();
        }
        try (PreparedStatement max = db.prepareStatement("SELECT COALESCE(MAX(flush_seq), 0) FROM " + TABLE
                + " WHERE table_name = ? AND subtask = ?")) {
            max.setString(1, table.name());
            max.setInt(2, subtask);
            try (ResultSet rows = max.executeQuery()) {
                rows.next();
                return Math.max(afterSeq == null ? 0 : afterSeq, rows.getLong(1));
            }
        }
    }

    /** Deletes the flushes a completed checkpoint covers (the committer of delta sinks). */
    static final class Pruner implements Committer<FlushedUpTo> {

        private final CopyUpsertSink.Connection connection;
        private Connection db;

        Pruner(CopyUpsertSink.Connection connection) {
            this.connection = connection;
        }

        @Override
        public void commit(Collection<CommitRequest<FlushedUpTo>> requests) {
            for (CommitRequest<FlushedUpTo> request : requests) {
                FlushedUpTo done = request.getCommittable();
                try {
                    if (db == null) {
                        db = connection.open();
                    }
                    try (PreparedStatement delete = db.prepareStatement("DELETE FROM " + TABLE
                            + " WHERE table_name = ? AND subtask = ? AND flush_seq <= ?")) {
                        delete.setString(1, done.table());
                        delete.setInt(2, done.subtask());
                        delete.setLong(3, done.flushSeq());
                        delete.executeUpdate();
                    }
                } catch (SQLException e) {
                    close();
                    request.retryLater();  // an unpruned flush costs only ledger space
                }
            }
        }

        @Override
        public void close() {
            if (db != null) {
                try {
                    db.close();
                } catch (SQLException ignored) {
                    // being replaced or closing
                }
                db = null;
            }
        }
    }

    /** Writer state (the last flush's number) and committables, as bytes. */
    static final class FlushedUpToSerializer implements SimpleVersionedSerializer<FlushedUpTo> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(FlushedUpTo done) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(done.table());
                out.writeInt(done.subtask());
                out.writeLong(done.flushSeq());
            }
            return bytes.toByteArray();
        }

        @Override
        public FlushedUpTo deserialize(int version, byte[] serialized) throws IOException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return new FlushedUpTo(in.readUTF(), in.readInt(), in.readLong());
            }
        }
    }
}
