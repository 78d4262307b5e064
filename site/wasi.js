// A small WASI preview1 host for the page: just the calls the verifier imports, over an
// in-memory file map (read-only), with standard output and error captured. No file system,
// clock, randomness or network is reached: the module sees the published files and nothing else.
//
//   const r = DualdrawWasi.run(module, ['verify', '/pub/plan.toml', '/pub/draw.log'], files);
//   r.code, r.stdout (Uint8Array), r.stderr (string), r.memory (the module's memory in bytes)
//
// `files` maps absolute paths ('/pub/plan.toml') to Uint8Array.
'use strict';
(function (global) {
  const E = { SUCCESS: 0, ACCES: 2, BADF: 8, INVAL: 28, ISDIR: 31, NOENT: 44, NOTDIR: 54, NOTCAPABLE: 76 };
  const FILETYPE = { DIRECTORY: 3, REGULAR: 4, CHAR: 2 };
  const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 };

  class Exit {
    constructor(code) { this.code = code; }
  }

  // '/pub/../x/./y' -> '/x/y'; never above '/'.
  function normalize(path) {
    const out = [];
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') out.pop(); else out.push(part);
    }
    return '/' + out.join('/');
  }

  function run(module, args, files) {
    const enc = new TextEncoder();
    const argv = ['site_verifier', ...args].map((a) => enc.encode(a + '\0'));
    const stdout = [];
    const stderr = [];
    // fd -> { kind: 'file', data, pos } | { kind: 'dir', path }
    const fds = new Map([[3, { kind: 'dir', path: '/' }]]);
    let nextFd = 4;
    let instance = null;
    const mem = () => new DataView(instance.exports.memory.buffer);
    const bytes = () => new Uint8Array(instance.exports.memory.buffer);
    const isDir = (p) => {
      const prefix = p === '/' ? '/' : p + '/';
      return Object.keys(files).some((k) => k.startsWith(prefix));
    };
    const iovecs = (ptr, len) => {
      const v = mem();
      const out = [];
      for (let i = 0; i < len; i++) out.push([v.getUint32(ptr + 8 * i, true), v.getUint32(ptr + 8 * i + 4, true)]);
      return out;
    };
    const wasi = {
      args_sizes_get(countPtr, sizePtr) {
        mem().setUint32(countPtr, argv.length, true);
        mem().setUint32(sizePtr, argv.reduce((n, a) => n + a.length, 0), true);
        return E.SUCCESS;
      },
      args_get(argvPtr, bufPtr) {
        let at = bufPtr;
        argv.forEach((a, i) => {
          mem().setUint32(argvPtr + 4 * i, at, true);
          bytes().set(a, at);
          at += a.length;
        });
        return E.SUCCESS;
      },
      environ_sizes_get(countPtr, sizePtr) {
        mem().setUint32(countPtr, 0, true);
        mem().setUint32(sizePtr, 0, true);
        return E.SUCCESS;
      },
      environ_get() { return E.SUCCESS; },
      fd_prestat_get(fd, ptr) {
        if (fd !== 3) return E.BADF;
        mem().setUint8(ptr, 0); // a directory
        mem().setUint32(ptr + 4, 1, true); // its name: '/'
        return E.SUCCESS;
      },
      fd_prestat_dir_name(fd, ptr, len) {
        if (fd !== 3 || len < 1) return E.BADF;
        bytes()[ptr] = 0x2f;
        return E.SUCCESS;
      },
      fd_fdstat_get(fd, ptr) {
        const v = mem();
        let type;
        if (fd <= 2) type = FILETYPE.CHAR;
        else if (!fds.has(fd)) return E.BADF;
        else type = fds.get(fd).kind === 'dir' ? FILETYPE.DIRECTORY : FILETYPE.REGULAR;
        v.setUint8(ptr, type);
        v.setUint16(ptr + 2, 0, true);
        v.setBigUint64(ptr + 8, 0xffffffffn, true);
        v.setBigUint64(ptr + 16, 0xffffffffn, true);
        return E.SUCCESS;
      },
      fd_filestat_get(fd, ptr) {
        const f = fds.get(fd);
        if (!f && fd > 2) return E.BADF;
        const v = mem();
        for (let i = 0; i < 64; i += 8) v.setBigUint64(ptr + i, 0n, true);
        v.setUint8(ptr + 16, !f ? FILETYPE.CHAR : f.kind === 'dir' ? FILETYPE.DIRECTORY : FILETYPE.REGULAR);
        v.setBigUint64(ptr + 24, 1n, true);
        v.setBigUint64(ptr + 32, BigInt(f && f.kind === 'file' ? f.data.length : 0), true);
        return E.SUCCESS;
      },
      path_open(dirFd, _dirflags, pathPtr, pathLen, oflags, _rightsBase, _rightsInh, _fdflags, fdPtr) {
        const dir = fds.get(dirFd);
        if (!dir || dir.kind !== 'dir') return E.BADF;
        if (oflags & (OFLAGS.CREAT | OFLAGS.TRUNC | OFLAGS.EXCL)) return E.ACCES; // read-only
        const rel = new TextDecoder().decode(bytes().subarray(pathPtr, pathPtr + pathLen));
        const path = normalize(dir.path + '/' + rel);
        let entry;
        if (Object.prototype.hasOwnProperty.call(files, path)) {
          if (oflags & OFLAGS.DIRECTORY) return E.NOTDIR;
          entry = { kind: 'file', data: files[path], pos: 0 };
        } else if (isDir(path)) {
          entry = { kind: 'dir', path };
        } else {
          return E.NOENT;
        }
        const fd = nextFd++;
        fds.set(fd, entry);
        mem().setUint32(fdPtr, fd, true);
        return E.SUCCESS;
      },
      fd_read(fd, iovsPtr, iovsLen, nreadPtr) {
        let n = 0;
        if (fd !== 0) {
          const f = fds.get(fd);
          if (!f) return E.BADF;
          if (f.kind !== 'file') return E.ISDIR;
          for (const [ptr, len] of iovecs(iovsPtr, iovsLen)) {
            const chunk = f.data.subarray(f.pos, f.pos + len);
            bytes().set(chunk, ptr);
            f.pos += chunk.length;
            n += chunk.length;
            if (chunk.length < len) break;
          }
        }
        mem().setUint32(nreadPtr, n, true);
        return E.SUCCESS;
      },
      fd_write(fd, iovsPtr, iovsLen, nwrittenPtr) {
        if (fd !== 1 && fd !== 2) return E.BADF;
        let n = 0;
        for (const [ptr, len] of iovecs(iovsPtr, iovsLen)) {
          (fd === 1 ? stdout : stderr).push(bytes().slice(ptr, ptr + len));
          n += len;
        }
        mem().setUint32(nwrittenPtr, n, true);
        return E.SUCCESS;
      },
      fd_close(fd) {
        if (!fds.delete(fd)) return E.BADF;
        return E.SUCCESS;
      },
      proc_exit(code) { throw new Exit(code); },
    };
    instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi });
    let code = 0;
    try {
      instance.exports._start();
    } catch (e) {
      if (e instanceof Exit) code = e.code;
      else throw e;
    }
    const join = (parts) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    };
    const memory = instance.exports.memory.buffer.byteLength;
    return { code, stdout: join(stdout), stderr: new TextDecoder().decode(join(stderr)), memory };
  }

  global.DualdrawWasi = { run, normalize };
})(typeof window !== 'undefined' ? window : globalThis);
