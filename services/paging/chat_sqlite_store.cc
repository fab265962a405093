#include "services/paging/chat_sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/store/inbox.h"

namespace tocsin::paging {
namespace {

using store::Blob;
using store::Database;
using store::Statement;

template <typename T>
absl::StatusOr<T> Parse(const std::string& bytes, const std::string& what) {
  T message;
  if (!message.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
  }
  return message;
}

absl::StatusOr<std::vector<v1::ChatPost>> ReadPosts(Statement& s) {
  std::vector<v1::ChatPost> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(v1::ChatPost post,
                     Parse<v1::ChatPost>(s.ColumnBlob(1), absl::StrCat("chat post ",
                                                                       s.ColumnText(0))));
    out.push_back(std::move(post));
  }
  return out;
}

}  // namespace

std::vector<store::Migration> ChatMigrations() {
  return {
      {100, "chat", R"sql(
CREATE TABLE chat_channels (
  name TEXT PRIMARY KEY,
  body BLOB NOT NULL
);
CREATE TABLE chat_incidents (
  id TEXT PRIMARY KEY,
  body BLOB NOT NULL
);
-- seq orders a channel's posts: its oldest PENDING post is its head.
CREATE TABLE chat_posts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  state INTEGER NOT NULL,
  next_attempt INTEGER,
  create_time INTEGER NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX chat_posts_channel ON chat_posts(channel, state, seq);
-- The heads of every channel's queue, without reading the posts done.
CREATE INDEX chat_posts_state ON chat_posts(state, channel, seq);
CREATE INDEX chat_posts_incident ON chat_posts(channel, incident_id, kind, seq);
CREATE INDEX chat_posts_by_incident ON chat_posts(incident_id, seq);
CREATE TABLE chat_threads (
  channel TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  PRIMARY KEY (channel, incident_id)
);
)sql"},
  };
}

class SqliteChatStore::SqliteTx final : public ChatStore::Tx {
 public:
  SqliteTx(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<v1::ChatChannel>> GetChannel(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM chat_channels WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return std::optional<v1::ChatChannel>();
    ASSIGN_OR_RETURN(v1::ChatChannel channel,
                     Parse<v1::ChatChannel>(s.ColumnBlob(0), "chat channel " + name));
    return std::optional<v1::ChatChannel>(std::move(channel));
  }

  absl::StatusOr<std::vector<v1::ChatChannel>> ListChannels() override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT name, body FROM chat_channels ORDER BY name"));
    std::vector<v1::ChatChannel> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ASSIGN_OR_RETURN(v1::ChatChannel channel,
                       Parse<v1::ChatChannel>(s.ColumnBlob(1), "chat channel " + s.ColumnText(0)));
      out.push_back(std::move(channel));
    }
    return out;
  }

  absl::Status PutChannel(const v1::ChatChannel& channel) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO chat_channels(name, body) VALUES(?, ?) "
        "ON CONFLICT(name) DO UPDATE SET body = excluded.body"));
    std::string body = channel.SerializeAsString();
    RETURN_IF_ERROR(s.Bind(1, channel.name()));
    RETURN_IF_ERROR(s.Bind(2, Blob{body}));
    return s.Run().status();
  }

  absl::StatusOr<bool> DeleteChannel(const std::string& name) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("DELETE FROM chat_channels WHERE name = ?"));
    RETURN_IF_ERROR(s.BindAll(name));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    // A channel made again later starts new threads (maybe elsewhere).
    ASSIGN_OR_RETURN(Statement threads, db_.Prepare("DELETE FROM chat_threads WHERE channel = ?"));
    RETURN_IF_ERROR(threads.BindAll(name));
    RETURN_IF_ERROR(threads.Run().status());
    return n > 0;
  }

  absl::StatusOr<std::optional<v1::ChatIncident>> GetIncident(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT body FROM chat_incidents WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return std::optional<v1::ChatIncident>();
    ASSIGN_OR_RETURN(v1::ChatIncident incident,
                     Parse<v1::ChatIncident>(s.ColumnBlob(0), "chat state of incident " + id));
    return std::optional<v1::ChatIncident>(std::move(incident));
  }

  absl::Status PutIncident(const v1::ChatIncident& incident) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO chat_incidents(id, body) VALUES(?, ?) "
        "ON CONFLICT(id) DO UPDATE SET body = excluded.body"));
    std::string body = incident.SerializeAsString();
    RETURN_IF_ERROR(s.Bind(1, incident.id()));
    RETURN_IF_ERROR(s.Bind(2, Blob{body}));
    return s.Run().status();
  }

  absl::Status InsertPost(const v1::ChatPost& post) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO chat_posts(id, channel, incident_id, kind, state, next_attempt, body, "
        "create_time) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(BindPost(s, post, /*first=*/1));
    RETURN_IF_ERROR(s.Bind(8, FromProtoTime(post.create_time())));
    absl::Status status = s.Run().status();
    if (absl::IsAlreadyExists(status) || absl::IsFailedPrecondition(status)) {
      return absl::AlreadyExistsError(absl::StrCat("chat post ", post.id(), " exists"));
    }
    return status;
  }

  absl::Status UpdatePost(const v1::ChatPost& post) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "UPDATE chat_posts SET id = ?, channel = ?, incident_id = ?, kind = ?, state = ?, "
        "next_attempt = ?, body = ? WHERE id = ?"));
    RETURN_IF_ERROR(BindPost(s, post, 1));
    RETURN_IF_ERROR(s.Bind(8, post.id()));
    ASSIGN_OR_RETURN(int64_t n, s.Run());
    if (n != 1) return absl::NotFoundError(absl::StrCat("chat post ", post.id(), " does not exist"));
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<v1::ChatPost>> GetPost(const std::string& id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT id, body FROM chat_posts WHERE id = ?"));
    RETURN_IF_ERROR(s.BindAll(id));
    ASSIGN_OR_RETURN(std::vector<v1::ChatPost> posts, ReadPosts(s));
    if (posts.empty()) return std::optional<v1::ChatPost>();
    return std::optional<v1::ChatPost>(std::move(posts[0]));
  }

  absl::StatusOr<std::optional<v1::ChatPost>> LastPost(const std::string& channel,
                                                       const std::string& incident_id,
                                                       const std::string& kind) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT id, body FROM chat_posts WHERE channel = ? AND incident_id = ? AND kind = ? "
        "ORDER BY seq DESC LIMIT 1"));
    RETURN_IF_ERROR(s.BindAll(channel, incident_id, kind));
    ASSIGN_OR_RETURN(std::vector<v1::ChatPost> posts, ReadPosts(s));
    if (posts.empty()) return std::optional<v1::ChatPost>();
    return std::optional<v1::ChatPost>(std::move(posts[0]));
  }

  absl::StatusOr<std::vector<v1::ChatPost>> WaitingPosts(const std::string& channel,
                                                         absl::Time now) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT id, body FROM chat_posts WHERE channel = ? AND state = ? "
        "AND next_attempt > ? ORDER BY seq"));
    RETURN_IF_ERROR(s.BindAll(channel, static_cast<int>(v1::CHAT_POST_STATE_PENDING), now));
    return ReadPosts(s);
  }

  absl::StatusOr<std::vector<v1::ChatPost>> DueHeads(
      absl::Time now, int limit, const std::vector<std::string>& busy) override {
    // Each channel's oldest PENDING post, if it is due.
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT p.id, p.body, p.channel FROM chat_posts p "
        "JOIN (SELECT channel, MIN(seq) AS head FROM chat_posts WHERE state = ? "
        "      GROUP BY channel) h ON p.seq = h.head "
        "WHERE p.next_attempt <= ? ORDER BY p.next_attempt, p.seq"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(v1::CHAT_POST_STATE_PENDING), now));
    std::vector<v1::ChatPost> out;
    while (static_cast<int>(out.size()) < limit) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const std::string channel = s.ColumnText(2);
      if (std::find(busy.begin(), busy.end(), channel) != busy.end()) continue;
      ASSIGN_OR_RETURN(v1::ChatPost post,
                       Parse<v1::ChatPost>(s.ColumnBlob(1), "chat post " + s.ColumnText(0)));
      out.push_back(std::move(post));
    }
    return out;
  }

  absl::StatusOr<std::vector<v1::ChatPost>> ListPosts(const std::string& channel,
                                                      const std::string& incident_id,
                                                      int limit) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT id, body FROM chat_posts WHERE (? = '' OR channel = ?) AND "
        "(? = '' OR incident_id = ?) ORDER BY seq DESC LIMIT ?"));
    RETURN_IF_ERROR(s.BindAll(channel, channel, incident_id, incident_id, limit));
    return ReadPosts(s);
  }

  absl::StatusOr<int64_t> CountPosts(v1::ChatPostState state) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare("SELECT COUNT(*) FROM chat_posts WHERE state = ?"));
    RETURN_IF_ERROR(s.BindAll(static_cast<int>(state)));
    ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.ColumnInt64(0) : 0;
  }

  absl::StatusOr<std::string> GetThread(const std::string& channel,
                                        const std::string& incident_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "SELECT provider_id FROM chat_threads WHERE channel = ? AND incident_id = ?"));
    RETURN_IF_ERROR(s.BindAll(channel, incident_id));
    ASSIGN_OR_RETURN(bool found, s.Step());
    return found ? s.ColumnText(0) : std::string();
  }

  absl::Status PutThread(const std::string& channel, const std::string& incident_id,
                         const std::string& provider_id) override {
    ASSIGN_OR_RETURN(Statement s, db_.Prepare(
        "INSERT INTO chat_threads(channel, incident_id, provider_id) VALUES(?, ?, ?) "
        "ON CONFLICT(channel, incident_id) DO NOTHING"));
    RETURN_IF_ERROR(s.BindAll(channel, incident_id, provider_id));
    return s.Run().status();
  }

  absl::StatusOr<bool> RecordInInbox(const std::string& consumer,
                                     const std::string& event_id) override {
    return store::RecordInInbox(db_, consumer, event_id, clock_.Now());
  }

  absl::StatusOr<int64_t> PruneBefore(absl::Time before) override {
    ASSIGN_OR_RETURN(Statement posts, db_.Prepare(
        "DELETE FROM chat_posts WHERE seq IN (SELECT seq FROM chat_posts WHERE state IN (?, ?) "
        "AND create_time < ? LIMIT 1000)"));
    RETURN_IF_ERROR(posts.BindAll(static_cast<int>(v1::CHAT_POST_STATE_SENT),
                                  static_cast<int>(v1::CHAT_POST_STATE_FAILED), before));
    ASSIGN_OR_RETURN(int64_t n, posts.Run());
    // What only those posts needed: the incident's chat state and threads.
    ASSIGN_OR_RETURN(Statement incidents, db_.Prepare(
        "DELETE FROM chat_incidents WHERE id NOT IN (SELECT incident_id FROM chat_posts)"));
    RETURN_IF_ERROR(incidents.Run().status());
    ASSIGN_OR_RETURN(Statement threads, db_.Prepare(
        "DELETE FROM chat_threads WHERE incident_id NOT IN (SELECT incident_id FROM chat_posts)"));
    RETURN_IF_ERROR(threads.Run().status());
    return n;
  }

 private:
  // Binds id, channel, incident_id, kind, state, next_attempt, body from
  // index `first` on.
  static absl::Status BindPost(Statement& s, const v1::ChatPost& post, int first) {
    RETURN_IF_ERROR(s.Bind(first, post.id()));
    RETURN_IF_ERROR(s.Bind(first + 1, post.channel()));
    RETURN_IF_ERROR(s.Bind(first + 2, post.incident_id()));
    RETURN_IF_ERROR(s.Bind(first + 3, post.kind()));
    RETURN_IF_ERROR(s.Bind(first + 4, static_cast<int>(post.state())));
    if (post.has_next_attempt()) {
      RETURN_IF_ERROR(s.Bind(first + 5, FromProtoTime(post.next_attempt())));
    } else {
      RETURN_IF_ERROR(s.Bind(first + 5, nullptr));
    }
    return s.Bind(first + 6, Blob{post.SerializeAsString()});
  }

  Database& db_;
  const Clock& clock_;
};

absl::Status SqliteChatStore::Write(const std::function<absl::Status(Tx&)>& body) {
  return db_->Transaction([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

absl::Status SqliteChatStore::Read(const std::function<absl::Status(Tx&)>& body) {
  return db_->Read([&]() -> absl::Status {
    SqliteTx tx(*db_, *clock_);
    return body(tx);
  });
}

}  // namespace tocsin::paging
