// The phone's own store (IndexedDB), one database per user:
//   outbox  every action, written before any network call (key: seq, in the order recorded)
//   lots    lots as last seen from the server, with the time they were seen
//   meta    the device id and token, the working depot, when the lots were last fetched
//   orders  the open transfer orders of the user's depots as last seen, with the time they were seen (version 2)

const VERSION = 2;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class Store {
  static async open(user) {
    const request = indexedDB.open(`reliefdepot-scan:${user}`, VERSION);
    request.onupgradeneeded = (event) => {
      // each version adds its stores to what a phone already holds: the outbox waiting there is kept
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("lots", { keyPath: "code" });
        db.createObjectStore("meta", { keyPath: "k" });
      }
      if (event.oldVersion < 2) db.createObjectStore("orders", { keyPath: "code" });
    };
    return new Store(await promised(request));
  }

  constructor(db) {
    this.db = db;
  }

  async _run(name, mode, work) {
    const tx = this.db.transaction(name, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
    });
    const result = await promised(work(tx.objectStore(name)));
    await done;  // durable before anything else happens
    return result;
  }

  put(name, value) {
    return this._run(name, "readwrite", (s) => s.put(value));
  }

  get(name, key) {
    return this._run(name, "readonly", (s) => s.get(key));
  }

  all(name) {
    return this._run(name, "readonly", (s) => s.getAll());
  }

  delete(name, key) {
    return this._run(name, "readwrite", (s) => s.delete(key));
  }

  async putMany(name, values) {
    const tx = this.db.transaction(name, "readwrite");
    const store = tx.objectStore(name);
    for (const v of values) store.put(v);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }

  async meta(key) {
    const row = await this.get("meta", key);
    return row ? row.v : undefined;
  }

  setMeta(key, v) {
    return this.put("meta", { k: key, v });
  }
}
