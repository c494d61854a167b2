#include "storage/room_store.hpp"

namespace mucd::storage {

Status RoomStore::save_room(const RoomRecord& room) {
  StoreBatch batch;
  batch.save_room(room);
  return commit(std::move(batch), true);
}

Status RoomStore::forget_room(std::string_view room_jid) {
  StoreBatch batch;
  batch.forget_room(std::string(room_jid));
  return commit(std::move(batch), true);
}

Status RoomStore::append_history(std::string_view room_jid, const HistoryRecord& entry,
                                 size_t keep_last) {
  StoreBatch batch;
  batch.append_history(std::string(room_jid), entry, keep_last);
  return commit(std::move(batch), true);
}

Status RoomStore::put_occupant(std::string_view room_jid, const OccupantRecord& occupant) {
  StoreBatch batch;
  batch.put_occupant(std::string(room_jid), occupant);
  return commit(std::move(batch), true);
}

Status RoomStore::remove_occupant(std::string_view room_jid, std::string_view nick,
                                  std::string_view real_jid) {
  StoreBatch batch;
  batch.remove_occupant(std::string(room_jid), std::string(nick), std::string(real_jid));
  return commit(std::move(batch), true);
}

}  // namespace mucd::storage
