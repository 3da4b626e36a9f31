-- Orthanc's filter of received instances for tests/tests/deliver_cstore/refusals.rs: a structured
-- report fails (an error in the filter makes Orthanc 1.10 answer the C-STORE with status A700),
-- every other instance is stored.
function ReceivedInstanceFilter(dicom, origin, info)
  if dicom.Modality == 'SR' then
    error('structured reports are refused by this test archive')
  end
  return true
end
