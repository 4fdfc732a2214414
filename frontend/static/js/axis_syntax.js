// Parses what a person types for an axis: "8, 16, 32" (a list), "8..64 step 8" (a range the API expands),
// "8..128 x2" (a geometric list). Words stay strings ("weight, output"); numbers become numbers.

export function parseAxis(text) {
  const source = text.trim();
  if (!source) throw new Error('enter values, e.g. 8, 16, 32 or 8..64 step 8');
  const range = source.match(/^(-?[\d.e+]+)\s*\.\.\s*(-?[\d.e+]+)\s*(?:step\s*([\d.e+]+))?$/i);
  if (range) {
    const [start, stop, step] = [Number(range[1]), Number(range[2]), range[3] ? Number(range[3]) : 1];
    if ([start, stop, step].some(Number.isNaN)) throw new Error('a range is start..stop step s, e.g. 8..64 step 8');
    if (stop < start) throw new Error(`range stop ${stop} is below start ${start}`);
    if (step <= 0) throw new Error('the step must be positive');
    return { start, stop, step };
  }
  const geometric = source.match(/^([\d.e+]+)\s*\.\.\s*([\d.e+]+)\s*x\s*([\d.e+]+)$/i);
  if (geometric) {
    const [start, stop, factor] = geometric.slice(1).map(Number);
    if (!(factor > 1) || !(start > 0)) throw new Error('a geometric range is start..stop x factor with factor > 1');
    const values = [];
    for (let v = start; v <= stop * (1 + 1e-9) && values.length < 100000; v *= factor) values.push(Number(v.toPrecision(12)));
    return values;
  }
  if (source.includes('..')) {  // "64..abc", "8..64 stp 8": a range that does not read as one is a mistake, not a word
    throw new Error(`"${source}" is not a range: write start..stop step s (8..64 step 8) or start..stop x factor (8..128 x2)`);
  }
  const values = source.split(/[,\s]+/).filter(Boolean).map((part) => {
    if (/^(true|false)$/i.test(part)) return part.toLowerCase() === 'true';
    const number = Number(part);
    return Number.isNaN(number) ? part : number;
  });
  return values;
}

export function axisCount(axis) {
  if (Array.isArray(axis)) return axis.length;
  return Math.floor((axis.stop - axis.start) / axis.step + 1e-9) + 1;
}
