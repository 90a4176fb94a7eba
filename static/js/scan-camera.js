// The camera: getUserMedia and the barcode-detector ponyfill (ZXing compiled to WebAssembly), both served
// by the app. The .wasm is located through setZXingModuleOverrides, so nothing is fetched from a CDN.
// jsQR (pure JS) is the fallback when WebAssembly cannot start.

const FRAME_MS = 200;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(script);
  });
}

async function zxingDetector(urls) {
  await loadScript(urls.barcodeDetector);
  const api = globalThis.BarcodeDetectionAPI;
  api.setZXingModuleOverrides({
    locateFile: (path, prefix) => (path.endsWith(".wasm") ? new URL(urls.wasm, location.href).href : prefix + path),
  });
  await api.prepareZXingModule({ fireImmediately: true });
  const detector = new api.BarcodeDetector({ formats: ["qr_code"] });
  return async (video) => (await detector.detect(video)).map((b) => b.rawValue);
}

async function jsqrDetector(urls) {
  await loadScript(urls.jsqr);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    if (!video.videoWidth) return [];
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const found = globalThis.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
    return found ? [found.data] : [];
  };
}

export class Camera {
  constructor({ video, urls, onCode, onError }) {
    Object.assign(this, { video, urls, onCode, onError });
    this.stream = null;
    this.detect = null;
    this.engine = null;
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw Object.assign(new Error("no camera API"), { code: "unsupported" });
    if (!this.detect) {
      try {
        this.detect = await zxingDetector(this.urls);
        this.engine = "zxing-wasm";
      } catch (e) {
        console.warn("zxing-wasm unavailable, falling back to jsQR", e);
        this.detect = await jsqrDetector(this.urls);
        this.engine = "jsqr";
      }
    }
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    this._loop();
  }

  stop() {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
  }

  async _loop() {
    while (this.stream) {
      try {
        if (this.video.readyState >= 2) {
          for (const value of await this.detect(this.video)) this.onCode(value);
        }
      } catch (e) {
        this.onError(e);
      }
      await new Promise((r) => setTimeout(r, FRAME_MS));
    }
  }
}
