// chatlab's failures, typed, and the one place they become exit codes (sysexits).
export const EX = { usage: 64, data: 65, unavailable: 69, software: 70, cantCreate: 73, tempFail: 75, noPerm: 77 } as const;

export class LabError extends Error {
  constructor(message: string, readonly exitCode: number = EX.software) {
    super(message);
    this.name = 'LabError';
  }
}

export const usageError = (message: string) => new LabError(message, EX.usage);
