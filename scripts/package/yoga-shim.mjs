// Stands in for `yoga-layout` inside the bundle: its index has a top-level `await loadYoga()`, which a
// CommonJS bundle cannot hold. `yoga-layout/load` is the await-free entry (react/yoga#1637); the bundle
// entry calls initYoga() once before anything renders, and ink's `Yoga.Node.create()` etc. go through the proxy.
import { loadYoga } from 'yoga-layout/load'

let yoga

// Loads the WebAssembly layout engine; later calls reuse it.
export async function initYoga() {
  yoga ??= await loadYoga()
  return yoga
}

// The default export ink uses; touching it before initYoga() is a bug in the bundle entry.
export default new Proxy(
  {},
  {
    get(_, key) {
      if (!yoga) throw new Error(`yoga-layout used before initYoga() (reading ${String(key)})`)
      return yoga[key]
    },
  },
)

export * from 'yoga-layout/load'
